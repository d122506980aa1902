import Foundation
import ShardCore
import ShardHDF5

/// Reads datasets in ShardTrain's format (datasets/README.md): one HDF5 file, one group per
/// split, each with features `x` (N x D, or N x ... flattened; float32, float64 or uint8) and
/// `y` (N integer labels, or N x K / N float targets). uint8 features are kept as bytes and
/// scaled by the `scale` attribute of `x` (1/255 by default) when a batch is gathered. Class
/// names may sit in a `classes` attribute on the split group or on the root group.
public struct DatasetFile: Sendable {
    public let path: String
    let file: HDF5File

    public init(path: String) throws(DataError) {
        self.path = path
        if let problem = fileProblem(path), problem != "does not exist" {
            throw .unreadable(file: path, problem: problem)
        }
        do { file = try HDF5File.open(path) } catch { throw .file(error) }
    }

    /// The split groups in the file.
    public func splitNames() -> [String] {
        ((try? file.root.children()) ?? []).filter(\.isGroup).map(\.name)
    }

    /// Class names from the `classes` attribute of the split group or the root, if any.
    public func classNames(split: String) -> [String]? {
        if let group = try? file.root.group(split), group.hasAttribute("classes") {
            return try? group.stringArrayAttribute("classes")
        }
        if file.root.hasAttribute("classes") { return try? file.root.stringArrayAttribute("classes") }
        return nil
    }

    /// Loads `split` into memory, checking shapes, element types, labels and finiteness.
    public func load(split: String, features: String = "x", targets: String = "y") throws(DataError) -> DataSplit {
        try load(try layout(split: split, features: features, targets: targets))
    }

    /// What `split` holds, checked (shapes, element types, labels), without reading its
    /// features: enough to decide between memory and streaming and to set up either.
    public func layout(split: String, features: String = "x", targets: String = "y") throws(DataError) -> SplitLayout {
        let group = try splitGroup(split)
        let featurePath = "/\(split)/\(features)"
        let targetPath = "/\(split)/\(targets)"
        let x = try openArray(group, features, path: featurePath, role: "features")
        let y = try openArray(group, targets, path: targetPath, role: "labels or targets")
        let xShape = try reading { () throws(HDF5Error) in try x.shape }
        guard xShape.count >= 2 else {
            throw DataError.wrongRank(file: path, object: featurePath,
                                      expected: "N x D (one row per sample)", found: xShape)
        }
        let rows = xShape[0]
        guard let width = Memory.product(xShape.dropFirst()) else {
            throw DataError.invalid(file: path, object: featurePath,
                                    problem: "has shape \(xShape), whose row width overflows: the file is corrupt; recreate it")
        }
        guard rows > 0 else { throw DataError.emptySplit(file: path, object: featurePath) }
        guard width > 0 else {
            throw DataError.invalid(file: path, object: featurePath,
                                    problem: "has shape \(xShape): no features per row; a split needs at least one column")
        }
        let featureKind: SplitLayout.FeatureKind
        var scale = 1.0
        switch try reading({ () throws(HDF5Error) in try x.elementKind }) {
        case .float(bits: 32): featureKind = .float32
        case .float(bits: 64): featureKind = .float64
        case .unsignedInteger(bits: 8):
            featureKind = .uint8
            scale = x.hasAttribute("scale")
                ? try reading { () throws(HDF5Error) in try x.doubleAttribute("scale") } : 1.0 / 255
            guard scale > 0, scale.isFinite else {
                throw DataError.invalid(file: path, object: "\(featurePath)@scale",
                                        problem: "is \(scale); the uint8 scale must be a positive finite number (1/255 when absent)")
            }
        case let kind:
            throw DataError.unsupportedType(file: path, object: featurePath, found: kind.description,
                                            allowed: "float32, float64 or uint8")
        }
        var chunks = try reading { () throws(HDF5Error) in try x.chunkShape }
        try checkPlausibleSize(x, chunked: chunks != nil, rows: rows, rowBytes: [width, featureKind.bytes],
                               object: featurePath, shape: xShape)
        let yShape = try reading { () throws(HDF5Error) in try y.shape }
        guard yShape.first == rows else {
            throw DataError.rowCountMismatch(file: path, features: featurePath, featureRows: rows,
                                             targets: targetPath, targetRows: yShape.first ?? 0)
        }
        let yKind = try reading { () throws(HDF5Error) in try y.elementKind }
        var targetWidth: Int?
        var labelLimit: Int?
        if yKind.isInteger {
            guard yShape.count == 1 else {
                throw DataError.wrongRank(file: path, object: targetPath,
                                          expected: "N integer labels (1-D)", found: yShape)
            }
            try checkPlausibleSize(y, rows: rows, rowBytes: [yKind.bytes ?? 1], object: targetPath, shape: yShape)
            labelLimit = try scanLabels(y, rows: rows, object: targetPath)
        } else if yKind.isFloat {
            guard yShape.count <= 2 else {
                throw DataError.wrongRank(file: path, object: targetPath,
                                          expected: "N or N x K float targets", found: yShape)
            }
            targetWidth = yShape.count == 2 ? yShape[1] : 1
        } else {
            throw DataError.unsupportedType(file: path, object: targetPath, found: yKind.description,
                                            allowed: "integer labels or float targets")
        }
        if let targetWidth {
            try checkPlausibleSize(y, rows: rows, rowBytes: [targetWidth, yKind.bytes ?? 4], object: targetPath, shape: yShape)
        }
        let rowBytes = width * featureKind.bytes
        // A chunk shape that cannot be a chunk of this dataset is ignored (HDF5 reads it or
        // fails); the block size must not be built on it.
        if let shape = chunks, shape.count != xShape.count || shape.contains(where: { $0 < 1 })
            || Memory.product(shape + [featureKind.bytes]) == nil {
            chunks = nil
        }
        let blockRows = SplitLayout.blockRows(chunkRows: chunks?.first, rowBytes: rowBytes, rowCount: rows)
        return SplitLayout(
            file: path, split: split, featuresName: features, targetsName: targets, rowCount: rows,
            width: width, featureKind: featureKind, scale: scale, targetWidth: targetWidth,
            labelLimit: labelLimit, blockRows: blockRows, featureChunks: chunks)
    }

    /// Reads the split `layout` describes whole into memory.
    public func load(_ layout: SplitLayout) throws(DataError) -> DataSplit {
        // Refused before allocating: an allocation the machine cannot hold aborts the process.
        guard Memory.fits(layout.memoryBytes) else {
            throw DataError.invalid(
                file: path, object: "/\(layout.group)",
                problem: "needs \(Memory.describe(layout.memoryBytes)) in memory, more than this machine's \(Memory.describe(Memory.physicalBytes)) allows; stream it with --set data.loading=\"stream\" (or \"auto\")")
        }
        let split = DataSplit(name: layout.split, rowCount: layout.rowCount, width: layout.width,
                              storesBytes: layout.featureKind == .uint8, scale: layout.scale,
                              targetWidth: layout.targetWidth)
        let reader = try SplitBlockReader(layout: layout, file: self, chunkCacheBytes: 1 << 20)
        try reader.read(rows: 0..<layout.rowCount, into: split, at: 0)
        return split
    }

    /// The most data a dataset may claim per byte of storage it holds: gzip, the best of
    /// HDF5's built-in filters on real data, compresses at most about 1032 to 1.
    static let plausibleExpansion = 2048

    /// Refuses a dataset that claims more data than its storage in the file holds (chunks:
    /// even compressed), a corrupt or crafted header or chunks that were never written, before
    /// anything is sized from its shape: reading it would allocate, or decode fill values,
    /// without bound.
    /// `chunked`: whether the dataset is stored in chunks (read from it when not given).
    private func checkPlausibleSize(_ dataset: HDF5Dataset, chunked: Bool? = nil, rows: Int, rowBytes: [Int],
                                    object: String, shape: [Int]) throws(DataError) {
        let stored = try reading { () throws(HDF5Error) in try dataset.storageBytes }
        let claimed = Memory.product([rows] + rowBytes)
        // Only chunks are ever compressed: contiguous and compact data must all be there
        // (HDF5 1.10.8 copies past the end of compact data that claims more than it holds).
        let isChunked: Bool
        if let chunked { isChunked = chunked } else {
            isChunked = try reading { () throws(HDF5Error) in try dataset.chunkShape } != nil
        }
        let limit = isChunked ? max(64 << 10, stored.multipliedReportingOverflow(by: Self.plausibleExpansion).partialValue)
            : stored
        guard let claimed, claimed <= limit else {
            let amount = claimed.map { Memory.describe($0) } ?? "more bytes than a 64-bit size holds"
            let problem = stored == 0
                ? "has shape \(shape) (\(amount)) but no data in the file: its chunks were never written, or the file is truncated or corrupt; write the data, or recreate the file"
                : "has shape \(shape) (\(amount)) but only \(Memory.describe(stored)) of storage in the file: the file is truncated or corrupt; recreate it"
            throw DataError.invalid(file: path, object: object, problem: problem)
        }
    }

    /// Largest label + 1, reading the labels in blocks; negative or over-wide labels throw.
    private func scanLabels(_ y: HDF5Dataset, rows: Int, object: String) throws(DataError) -> Int {
        var largest: Int64 = -1
        let blockRows = 1 << 20
        var start = 0
        while start < rows {
            let range = start..<min(start + blockRows, rows)
            let values = try reading { () throws(HDF5Error) in try y.readRows(range, as: Int64.self) }
            for (offset, label) in values.enumerated() {
                guard label >= 0, label <= Int64(Int32.max) else {
                    throw DataError.labelOutOfRange(file: path, object: object, row: start + offset,
                                                    label: label, classCount: Int(Int32.max))
                }
                largest = max(largest, label)
            }
            start = range.upperBound
        }
        return Int(largest) + 1
    }

    /// Runs HDF5 reads, their failures becoming data errors (which name the file and object).
    func reading<R>(_ body: () throws(HDF5Error) -> R) throws(DataError) -> R {
        do { return try body() } catch { throw .file(error) }
    }

    func splitGroup(_ split: String) throws(DataError) -> HDF5Group {
        do {
            return try file.root.group(split)
        } catch .objectNotFound {
            throw .missingSplit(file: path, split: split, available: splitNames())
        } catch {
            throw .file(error)
        }
    }

    private func openArray(_ group: HDF5Group, _ name: String, path object: String,
                           role: String) throws(DataError) -> HDF5Dataset {
        do {
            return try group.dataset(name)
        } catch .objectNotFound {
            throw .missingArray(file: path, object: object, role: role)
        } catch {
            throw .file(error)
        }
    }
}
