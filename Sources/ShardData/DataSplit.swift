import ShardCore

/// Rows of a split held in memory: features as stored (uint8, scaled to floats only when a
/// mini-batch is gathered, or float32) and either integer class labels or float targets. A
/// whole split loaded by `DatasetFile.load`, or the ring of windows a `StreamingReader` fills:
/// to `MiniBatch.gather` both are just rows at indices.
///
/// Unchecked Sendable: its storage is written only by a split's loader before it is shared,
/// or by a `StreamingReader`'s thread into ring slots no step is reading (the reader's rules);
/// workers only read it.
public final class DataSplit: @unchecked Sendable {
    public let name: String
    public let rowCount: Int
    public let width: Int

    public enum FeatureStorage: Sendable {
        /// [rowCount x width]
        case float32(FloatBuffer)
        /// [rowCount x width], scaled by `DataSplit.scaleTable` when gathered
        case uint8(ElementBuffer<UInt8>)
    }
    public let featureStorage: FeatureStorage
    /// uint8 features: the float of each byte value, Float(Double(value) * scale), rounded once
    /// as numpy's x * scale would give. [256]
    public let scaleTable: ElementBuffer<Float>
    /// uint8 features: the factor to floats.
    public let scale: Double

    public enum TargetStorage: Sendable {
        /// [rowCount]
        case labels(ElementBuffer<Int32>)
        /// [rowCount x width], row-major
        case values(FloatBuffer, width: Int)
    }
    public let targets: TargetStorage

    public init(name: String, rowCount: Int, width: Int, features: FeatureStorage, scale: Double = 1.0 / 255,
                targets: TargetStorage) {
        self.name = name
        self.rowCount = rowCount
        self.width = width
        featureStorage = features
        self.targets = targets
        self.scale = scale
        scaleTable = ElementBuffer(count: 256, repeating: 0)
        for value in 0..<256 { scaleTable[value] = Float(Double(value) * scale) }
    }

    /// A split of float32 features.
    public convenience init(name: String, rowCount: Int, width: Int, features: FloatBuffer, targets: TargetStorage) {
        self.init(name: name, rowCount: rowCount, width: width, features: .float32(features), targets: targets)
    }

    /// Empty storage for `rowCount` rows of the given kinds (a streaming reader's ring).
    public convenience init(name: String, rowCount: Int, width: Int, storesBytes: Bool, scale: Double,
                            targetWidth: Int?) {
        let features: FeatureStorage = storesBytes
            ? .uint8(ElementBuffer(count: rowCount * width, repeating: 0))
            : .float32(FloatBuffer(count: rowCount * width))
        let targets: TargetStorage = targetWidth.map { .values(FloatBuffer(count: rowCount * $0), width: $0) }
            ?? .labels(ElementBuffer(count: rowCount, repeating: 0))
        self.init(name: name, rowCount: rowCount, width: width, features: features, scale: scale, targets: targets)
    }

    /// The features as floats, a new buffer [rowCount x width] (for tools and tests; training
    /// gathers rows instead).
    public var features: FloatBuffer {
        switch featureStorage {
        case .float32(let buffer): return buffer
        case .uint8(let bytes):
            let floats = FloatBuffer(count: bytes.count)
            for index in 0..<bytes.count { floats[index] = scaleTable[Int(bytes[index])] }
            return floats
        }
    }

    public var storesBytes: Bool { if case .uint8 = featureStorage { true } else { false } }

    /// Bytes per row of features as held.
    public var featureRowBytes: Int { width * (storesBytes ? 1 : 4) }

    public var isLabelled: Bool { if case .labels = targets { true } else { false } }

    /// The labels as an array (a copy; for tools and tests).
    public var labels: [Int32]? { if case .labels(let labels) = targets { labels.array } else { nil } }

    /// Checks that this split can feed a network of these widths: `width` features, and
    /// labels below `outputWidth` or `outputWidth` float targets. `file`, `features` and
    /// `targets` name the data in the error.
    public func checkFits(inputWidth: Int, outputWidth: Int, file: String, features: String,
                          targets: String, what: String) throws(DataError) {
        guard width == inputWidth else {
            throw .widthMismatch(file: file, object: "/\(name)/\(features)", found: width,
                                 expected: inputWidth, what: what)
        }
        switch self.targets {
        case .labels(let labels):
            if let row = labels.buffer.firstIndex(where: { Int($0) >= outputWidth }) {
                throw .labelOutOfRange(file: file, object: "/\(name)/\(targets)", row: row,
                                       label: Int64(labels[row]), classCount: outputWidth)
            }
        case .values(_, let targetWidth):
            guard targetWidth == outputWidth else {
                throw .widthMismatch(file: file, object: "/\(name)/\(targets)", found: targetWidth,
                                     expected: outputWidth, what: "\(what)'s output")
            }
        }
    }

    /// Number of columns of the targets: 1 for labels (one class index per row).
    public var targetWidth: Int {
        switch targets {
        case .labels: return 1
        case .values(_, let width): return width
        }
    }

    /// Copies row `source` of `other` (of the same kinds and widths) into row `row`.
    func copyRow(_ source: Int, of other: DataSplit, to row: Int) {
        switch (featureStorage, other.featureStorage) {
        case (.uint8(let to), .uint8(let from)):
            (to.pointer + row * width).update(from: from.pointer + source * width, count: width)
        case (.float32(let to), .float32(let from)):
            (to.pointer + row * width).update(from: from.pointer + source * width, count: width)
        default: preconditionFailure("copyRow between splits of different feature kinds")
        }
        switch (targets, other.targets) {
        case (.labels(let to), .labels(let from)): to[row] = from[source]
        case (.values(let to, let targetWidth), .values(let from, _)):
            (to.pointer + row * targetWidth).update(from: from.pointer + source * targetWidth, count: targetWidth)
        default: preconditionFailure("copyRow between splits of different target kinds")
        }
    }
}
