import ShardCore

/// One split of a dataset held in memory: features as Float32 [rows x width], and either
/// integer class labels [rows] or float targets [rows x targetWidth].
///
/// Sendable: every stored property is a constant of a Sendable type; workers only read it.
public final class DataSplit: Sendable {
    public let name: String
    public let rowCount: Int
    public let width: Int
    /// [rowCount x width]
    public let features: FloatBuffer
    public enum TargetStorage: Sendable {
        case labels([Int32])
        /// [rowCount x width], row-major
        case values(FloatBuffer, width: Int)
    }
    public let targets: TargetStorage

    public init(name: String, rowCount: Int, width: Int, features: FloatBuffer, targets: TargetStorage) {
        precondition(features.count == rowCount * width)
        self.name = name
        self.rowCount = rowCount
        self.width = width
        self.features = features
        self.targets = targets
    }

    public var labels: [Int32]? { if case .labels(let labels) = targets { labels } else { nil } }

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
            if let row = labels.firstIndex(where: { Int($0) >= outputWidth }) {
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
}
