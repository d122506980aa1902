import ShardHDF5

#if canImport(Glibc)
import Glibc
#endif

/// Writes a dataset file from sources read a block of rows at a time (a .npy pair, a CSV
/// file), in bounded memory: a first pass checks every value and decides the element types
/// (uint8 when every feature is an integer 0-255, float32 otherwise; integer labels as int32
/// with class names, float targets as float32), a second pass writes chunked datasets. The
/// file is written under a temporary name and renamed at the end, so a failure never leaves
/// a partial file under the output name.
public enum ArrayImporter {
    /// Rows of one split, read in blocks.
    public protocol Source {
        /// The file named in errors.
        var path: String { get }
        var rowCount: Int { get }
        var width: Int { get }
        /// Target columns (1 for labels).
        var targetWidth: Int { get }
        /// Calls `body` with each block of rows in order: features [rows x width] and targets
        /// [rows x targetWidth], as Double; `body` returns false to stop.
        func forEachBlock(_ body: (_ firstRow: Int, _ features: UnsafeBufferPointer<Double>,
                                   _ targets: UnsafeBufferPointer<Double>) throws(DataError) -> Void) throws(DataError)
        /// Class names for labels that were strings (CSV), in label order; nil otherwise.
        var classNames: [String]? { get }
        /// false when the targets are floats by type (a float .npy): never labels.
        var targetsMayBeLabels: Bool { get }
    }

    public struct Summary: Sendable {
        public var splits: [(name: String, rows: Int)]
        public var featureType: String
        public var targetType: String
    }

    /// What the first pass found about all splits together.
    struct Kinds {
        var featuresAreBytes = true
        var targetsAreLabels = true
        var largestLabel = -1
    }

    public static func write(splits: [(name: String, source: any Source)], to output: String,
                             progress: (Double) -> Void = { _ in }) throws(DataError) -> Summary {
        guard let first = splits.first?.source else { return Summary(splits: [], featureType: "", targetType: "") }
        for (_, source) in splits {
            guard source.width == first.width else {
                throw .badImport(file: source.path, reason: "\(source.width) feature columns, but \(first.path) has \(first.width)")
            }
            guard source.targetWidth == first.targetWidth else {
                throw .badImport(file: source.path, reason: "\(source.targetWidth) target columns, but \(first.path) has \(first.targetWidth)")
            }
        }
        let totalRows = Double(splits.map { $0.source.rowCount }.reduce(0, +))
        var kinds = Kinds()
        var done = 0
        for (_, source) in splits {
            try source.forEachBlock { firstRow, features, targets throws(DataError) in
                try inspect(features: features, targets: targets, source: source, firstRow: firstRow, kinds: &kinds)
                done += targets.count / max(1, source.targetWidth)
                progress(0.5 * Double(done) / totalRows)
            }
        }
        if first.targetWidth != 1 || splits.contains(where: { !$0.source.targetsMayBeLabels }) {
            kinds.targetsAreLabels = false
        }
        let temporary = temporaryName(for: output)
        do {
            let file = try HDF5File.create(temporary)
            try file.root.setAttribute("format", "shardtrain-dataset")
            try file.root.setAttribute("version", Int64(1))
            if kinds.targetsAreLabels {
                let names = first.classNames ?? (0...max(kinds.largestLabel, 0)).map(String.init)
                try file.root.setAttribute("classes", names)
            }
            done = 0
            for (name, source) in splits {
                try writeSplit(source, named: name, into: file.root.createGroup(name), kinds: kinds) { rows in
                    done += rows
                    progress(0.5 + 0.5 * Double(done) / totalRows)
                }
            }
            try file.flush()
        } catch {
            unlink(temporary)
            if let error = error as? DataError { throw error }
            throw .writeFailed(file: output, reason: "\(error)")
        }
        guard rename(temporary, output) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .writeFailed(file: output, reason: reason)
        }
        return Summary(splits: splits.map { ($0.name, $0.source.rowCount) },
                       featureType: kinds.featuresAreBytes ? "uint8" : "float32",
                       targetType: kinds.targetsAreLabels ? "int32 labels" : "float32 targets")
    }

    /// `.name.tmp-<pid>` beside `output`.
    static func temporaryName(for output: String) -> String {
        let slash = output.lastIndex(of: "/")
        let folder = slash.map { String(output[...$0]) } ?? ""
        let name = slash.map { String(output[output.index(after: $0)...]) } ?? output
        return "\(folder).\(name).tmp-\(getpid())"
    }

    private static func inspect(features: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Double>,
                                source: any Source, firstRow: Int, kinds: inout Kinds) throws(DataError) {
        for (index, value) in features.enumerated() {
            guard value.isFinite else {
                throw .badImport(file: source.path, reason: "row \(firstRow + index / source.width), column \(index % source.width) holds \(value); clean or impute it first")
            }
            if kinds.featuresAreBytes, !(value >= 0 && value <= 255 && value.rounded() == value) {
                kinds.featuresAreBytes = false
            }
        }
        for (index, value) in targets.enumerated() {
            guard value.isFinite else {
                throw .badImport(file: source.path, reason: "the target of row \(firstRow + index / source.targetWidth) is \(value)")
            }
            if kinds.targetsAreLabels {
                if value >= 0, value.rounded() == value, value <= Double(Int32.max) {
                    kinds.largestLabel = max(kinds.largestLabel, Int(value))
                } else {
                    kinds.targetsAreLabels = false
                }
            }
        }
    }

    private static func writeSplit(_ source: any Source, named name: String, into group: HDF5Group, kinds: Kinds,
                                   wrote: (Int) -> Void) throws {
        let rows = source.rowCount, width = source.width
        // Chunks of about 1 MB of rows, as the streaming reader's blocks like them.
        let chunkRows = max(1, min(rows, (1 << 20) / max(1, width * (kinds.featuresAreBytes ? 1 : 4))))
        let x: HDF5Dataset
        if kinds.featuresAreBytes {
            x = try group.createEmptyDataset("x", of: UInt8.self, shape: [rows, width], chunks: [chunkRows, width])
            try x.setAttribute("scale", 1.0 / 255.0)
        } else {
            x = try group.createEmptyDataset("x", of: Float.self, shape: [rows, width], chunks: [chunkRows, width])
        }
        let yShape = kinds.targetsAreLabels || source.targetWidth == 1 ? [rows] : [rows, source.targetWidth]
        let yChunks = yShape.count == 1 ? [65_536] : [max(1, 65_536 / source.targetWidth), source.targetWidth]
        let y = kinds.targetsAreLabels
            ? try group.createEmptyDataset("y", of: Int32.self, shape: yShape, chunks: yChunks)
            : try group.createEmptyDataset("y", of: Float.self, shape: yShape, chunks: yChunks)
        var failure: Error?
        try source.forEachBlock { firstRow, features, targets throws(DataError) in
            guard failure == nil else { return }
            let count = targets.count / max(1, source.targetWidth)
            let range = firstRow..<(firstRow + count)
            do {
                if kinds.featuresAreBytes {
                    try x.writeRows(range, converting: features) { UInt8($0) }
                } else {
                    try x.writeRows(range, converting: features) { Float($0) }
                }
                if kinds.targetsAreLabels {
                    try y.writeRows(range, converting: targets) { Int32($0) }
                } else {
                    try y.writeRows(range, converting: targets) { Float($0) }
                }
                wrote(count)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}

extension HDF5Dataset {
    /// Writes `values` converted by `convert` into rows `rows`.
    func writeRows<T: HDF5Element>(_ rows: Range<Int>, converting values: UnsafeBufferPointer<Double>,
                                   _ convert: (Double) -> T) throws {
        try values.map(convert).withUnsafeBufferPointer { try writeRows(rows, from: $0) }
    }
}
