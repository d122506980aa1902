/// The order in which one epoch visits the rows of a split: a pure function of
/// (seed, epoch, row count, block rows, window rows), computed window by window, never as a
/// table of the whole split, so memory and streaming, any worker count and any memory budget
/// see the same order, and a checkpoint needs only (epoch, position).
///
/// How: the rows are cut into blocks of `blockRows` consecutive rows (the unit a streaming
/// reader reads, aligned to the file's chunks). The full blocks are permuted; a short last
/// block, if any, stays last. Consecutive groups of `windowBlocks` permuted blocks form the
/// windows; the rows of each window are shuffled among themselves (Fisher-Yates). Every draw
/// comes from `CounterRandom`, a hash of (seed, epoch, window, counter), so any window's order
/// can be computed alone. Row r here means the r-th row of the split's row set (the whole
/// split today): a caller that holds rows out maps r to a file row itself.
public struct EpochOrder: Sendable, Equatable {
    public let rowCount: Int
    public let blockRows: Int
    public let windowBlocks: Int
    /// Block indices in visiting order; [blockCount]
    let blocks: [Int]
    let seed: UInt64
    let epoch: Int
    let shuffled: Bool

    /// The order of `epoch` (1-based) for a split of `rowCount` rows.
    public init(seed: UInt64, epoch: Int, rowCount: Int, blockRows: Int, windowRows: Int) {
        self.init(seed: seed, epoch: epoch, rowCount: rowCount, blockRows: blockRows,
                  windowRows: windowRows, shuffled: true)
    }

    /// Rows 0, 1, 2, ... in windows of blocks, as evaluation reads a split.
    public static func sequential(rowCount: Int, blockRows: Int, windowRows: Int) -> EpochOrder {
        EpochOrder(seed: 0, epoch: 0, rowCount: rowCount, blockRows: blockRows, windowRows: windowRows,
                   shuffled: false)
    }

    private init(seed: UInt64, epoch: Int, rowCount: Int, blockRows: Int, windowRows: Int, shuffled: Bool) {
        precondition(rowCount >= 0 && blockRows >= 1 && windowRows >= 1)
        self.rowCount = rowCount
        self.blockRows = blockRows
        windowBlocks = max(1, windowRows / blockRows)
        self.seed = seed
        self.epoch = epoch
        self.shuffled = shuffled
        let blockCount = (rowCount + blockRows - 1) / blockRows
        var blocks = Array(0..<blockCount)
        if shuffled {
            let fullBlocks = rowCount / blockRows
            var random = CounterRandom(seed: seed, epoch: epoch, stream: 0)
            random.shuffle(&blocks, count: fullBlocks)
        }
        self.blocks = blocks
    }

    /// Rows per window (all but the last window hold exactly this many).
    public var windowRows: Int { blockRows * windowBlocks }
    public var windowCount: Int { (rowCount + windowRows - 1) / windowRows }

    /// The window that epoch position `position` falls in.
    public func window(atPosition position: Int) -> Int { position / windowRows }

    /// The epoch positions window `window` covers.
    public func positions(ofWindow window: Int) -> Range<Int> {
        (window * windowRows)..<min((window + 1) * windowRows, rowCount)
    }

    /// The row ranges of the window's blocks, in the order their rows are concatenated before
    /// the in-window shuffle (the order a reader reads them in).
    public func blockRanges(ofWindow window: Int) -> [Range<Int>] {
        let first = window * windowBlocks
        return blocks[first..<min(first + windowBlocks, blocks.count)].map { block in
            (block * blockRows)..<min((block + 1) * blockRows, rowCount)
        }
    }

    /// The in-window shuffle: visit position o of the window reads the window's
    /// concatenated row `permutation[o]`. [positions(ofWindow:).count]
    public func permutation(ofWindow window: Int) -> [Int] {
        var permutation = Array(0..<positions(ofWindow: window).count)
        if shuffled {
            var random = CounterRandom(seed: seed, epoch: epoch, stream: UInt64(window) + 1)
            random.shuffle(&permutation, count: permutation.count)
        }
        return permutation
    }

    /// The rows window `window` visits, in order. [positions(ofWindow:).count]
    public func rows(ofWindow window: Int) -> [Int] {
        let concatenated = blockRanges(ofWindow: window).flatMap { $0 }
        return permutation(ofWindow: window).map { concatenated[$0] }
    }

    /// The whole epoch's order (for tests and small splits).
    public func allRows() -> [Int] { (0..<windowCount).flatMap { rows(ofWindow: $0) } }
}

/// A counter-based generator: draw k of stream (seed, epoch, stream) is a SplitMix64 hash of
/// the key and k, so any stream can be started anywhere without replaying others.
struct CounterRandom {
    let key: UInt64
    var counter: UInt64 = 0

    init(seed: UInt64, epoch: Int, stream: UInt64) {
        key = Self.mix(Self.mix(Self.mix(seed) ^ UInt64(truncatingIfNeeded: epoch)) ^ stream)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        counter &+= 1
        return Self.mix(key ^ (counter &* 0xD1B5_4A32_D192_ED03))
    }

    /// Uniform in 0..<bound without bias (Lemire's multiply-and-reject).
    mutating func next(below bound: Int) -> Int {
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Fisher-Yates over the first `count` elements.
    mutating func shuffle(_ values: inout [Int], count: Int) {
        guard count > 1 else { return }
        for index in stride(from: count - 1, to: 0, by: -1) {
            let other = next(below: index + 1)
            if other != index { values.swapAt(index, other) }
        }
    }
}
