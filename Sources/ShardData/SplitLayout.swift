import ShardCore

/// What a split of a dataset file holds, checked, with nothing read but its labels' range:
/// enough to choose memory or streaming, to size a reader, and to cut the split into the
/// blocks of rows its epoch order permutes.
public struct SplitLayout: Sendable, Equatable {
    public enum FeatureKind: Sendable, Equatable {
        case uint8, float32, float64
        /// Bytes per value as stored in the file.
        public var bytes: Int {
            switch self {
            case .uint8: 1
            case .float32: 4
            case .float64: 8
            }
        }
    }

    public let file: String
    public let split: String
    public let featuresName: String
    public let targetsName: String
    public let rowCount: Int
    public let width: Int
    public let featureKind: FeatureKind
    /// uint8 features: the factor to floats.
    public let scale: Double
    /// nil for integer labels; the number of float targets per row otherwise.
    public let targetWidth: Int?
    /// Integer labels: the largest label + 1.
    public let labelLimit: Int?
    /// Rows per block of the epoch order and per read of a streaming reader.
    public let blockRows: Int
    /// The features' chunk shape, nil when contiguous.
    public let featureChunks: [Int]?
    /// The group in the file that holds the split (`split` may be a name for people, such as
    /// "train (held out)").
    public let group: String
    /// nil: row r is the file's row r. Otherwise row r of this layout is file row
    /// `fileRows[r]` (ascending): a subset of the group's rows, such as the rows
    /// `data.validation_fraction` keeps for training or holds out.
    public let fileRows: [Int]?

    public init(file: String, split: String, featuresName: String, targetsName: String, rowCount: Int,
                width: Int, featureKind: FeatureKind, scale: Double, targetWidth: Int?, labelLimit: Int?,
                blockRows: Int, featureChunks: [Int]?, group: String? = nil, fileRows: [Int]? = nil) {
        precondition(fileRows == nil || fileRows!.count == rowCount)
        self.file = file
        self.split = split
        self.featuresName = featuresName
        self.targetsName = targetsName
        self.rowCount = rowCount
        self.width = width
        self.featureKind = featureKind
        self.scale = scale
        self.targetWidth = targetWidth
        self.labelLimit = labelLimit
        self.blockRows = blockRows
        self.featureChunks = featureChunks
        self.group = group ?? split
        self.fileRows = fileRows
    }

    public var isLabelled: Bool { targetWidth == nil }

    /// The layout of the rows `rows` (ascending rows of this layout) of this split (the rows
    /// `data.validation_fraction` keeps for training, or those it holds out), named `name`:
    /// the same kinds, blocks and chunks, read from the same group.
    public func subset(rows: [Int], name: String) -> SplitLayout {
        SplitLayout(file: file, split: name, featuresName: featuresName, targetsName: targetsName,
                    rowCount: rows.count, width: width, featureKind: featureKind, scale: scale,
                    targetWidth: targetWidth, labelLimit: labelLimit, blockRows: max(1, min(blockRows, rows.count)),
                    featureChunks: featureChunks, group: group,
                    fileRows: fileRows.map { map in rows.map { map[$0] } } ?? rows)
    }

    /// Bytes one row takes in memory: features as stored (uint8 stays uint8, float64 becomes
    /// float32) and its label or targets.
    public var memoryRowBytes: Int {
        width * (featureKind == .uint8 ? 1 : 4) + 4 * (targetWidth ?? 1)
    }

    /// Bytes the whole split takes in memory.
    public var memoryBytes: Int { rowCount * memoryRowBytes }

    /// Rows per block: the file's chunks of rows, as many as make at least 256 KiB, so each
    /// read decompresses every chunk it touches once and no read is tiny; a contiguous file
    /// in blocks of about 1 MiB. The epoch order depends on it, and through it on the file
    /// alone, never on how the file is read.
    static func blockRows(chunkRows: Int?, rowBytes: Int, rowCount: Int) -> Int {
        let rows: Int
        if let chunkRows, chunkRows > 0 {
            let chunkBytes = max(1, chunkRows * rowBytes)
            rows = chunkRows * (((256 << 10) + chunkBytes - 1) / chunkBytes)
        } else {
            rows = (1 << 20) / max(rowBytes, 1)
        }
        return max(1, min(rows, rowCount))
    }

    /// A chunk cache that holds every chunk one block of rows touches, twice over (a block
    /// may start inside a chunk when rows are held out).
    public var chunkCacheBytes: Int {
        guard let chunks = featureChunks, !chunks.isEmpty, chunks.allSatisfy({ $0 >= 1 }) else { return 1 << 20 }
        // At most 1 GiB (an overflow included): a chunk larger than the cache is read uncached.
        let chunkBytes = Memory.product(chunks + [featureKind.bytes]) ?? Int.max
        let rowChunks = blockRows / chunks[0] + 2
        let columnChunks = width / max(1, Memory.product(chunks.dropFirst()) ?? Int.max) + 1
        return min(1 << 30, max(1 << 20, Memory.product([rowChunks, columnChunks, chunkBytes]) ?? Int.max))
    }
}
