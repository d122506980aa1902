import ShardCore

/// What fixes the order of every pass over a split: `order(pass:)` is a pure function of it.
public struct OrderRecipe: Sendable, Equatable {
    public let seed: UInt64
    public let rowCount: Int
    public let blockRows: Int
    /// Requested rows per shuffle window (rounded down to whole blocks, at least one).
    public let windowRows: Int
    /// false: rows in file order (evaluation).
    public let shuffled: Bool

    public init(seed: UInt64, rowCount: Int, blockRows: Int, windowRows: Int, shuffled: Bool) {
        self.seed = seed
        self.rowCount = rowCount
        self.blockRows = blockRows
        self.windowRows = windowRows
        self.shuffled = shuffled
    }

    /// The order of pass `pass` (0-based: training epoch `pass + 1`).
    public func order(pass: Int) -> EpochOrder {
        shuffled
            ? EpochOrder(seed: seed, epoch: pass + 1, rowCount: rowCount, blockRows: blockRows, windowRows: windowRows)
            : EpochOrder.sequential(rowCount: rowCount, blockRows: blockRows, windowRows: windowRows)
    }

    /// Rows per window as the order cuts them.
    public var actualWindowRows: Int { blockRows * max(1, windowRows / blockRows) }
    public var windowCount: Int { (rowCount + actualWindowRows - 1) / actualWindowRows }
}

/// Hands the trainer (or the evaluator) the rows of positions [a, b) of a pass as indices
/// into `storage`, which is the whole split in memory mode or a streaming reader's ring. The
/// same order either way, so the rows, and the weights, are the same.
///
/// Called from one thread (the trainer's). It computes (and, streaming, acquires) a window only
/// when a pass enters it; a step inside a window costs index arithmetic, no lock and no
/// allocation.
public final class RowFeed: @unchecked Sendable {
    public let recipe: OrderRecipe
    /// The rows the returned indices point into.
    public let storage: DataSplit
    public let reader: StreamingReader?
    /// [maxRows] the indices of the last call
    private let indexBuffer: ElementBuffer<Int>
    /// [maxRows] the same rows as rows of the split (streaming: they differ from the indices)
    private let rowBuffer: ElementBuffer<Int>
    /// The rows of the split the last call's indices stand for, valid until the next call
    /// (what keys per-row randomness such as dropout masks, the same in memory and streamed).
    public private(set) var rowIdentities = UnsafeBufferPointer<Int>(start: nil, count: 0)
    public let maxRows: Int
    private var orderPass = -1
    private var order: EpochOrder
    /// Windows at hand: their ticket and either a table of rows (memory) or the ring row
    /// their first position sits at (stream).
    private var cachedTickets: [Int]
    private var cachedTables: [[Int]]
    private var cachedOffsets: [Int]
    private var nextCacheSlot = 0
    private var lastFirstTicket = -1

    /// A feed over `split`, held in memory.
    public convenience init(recipe: OrderRecipe, split: DataSplit, maxRows: Int) {
        precondition(split.rowCount == recipe.rowCount)
        self.init(recipe: recipe, storage: split, reader: nil, maxRows: maxRows)
    }

    /// A feed streamed from the file by `reader`.
    public convenience init(reader: StreamingReader, maxRows: Int) {
        self.init(recipe: reader.recipe, storage: reader.ring, reader: reader, maxRows: maxRows)
    }

    private init(recipe: OrderRecipe, storage: DataSplit, reader: StreamingReader?, maxRows: Int) {
        self.recipe = recipe
        self.storage = storage
        self.reader = reader
        self.maxRows = maxRows
        indexBuffer = ElementBuffer(count: maxRows, repeating: 0)
        rowBuffer = reader == nil ? indexBuffer : ElementBuffer(count: maxRows, repeating: 0)
        order = recipe.order(pass: 0)
        let cacheCount = Self.windowsPerCall(maxRows: maxRows, recipe: recipe)
        cachedTickets = Array(repeating: -1, count: cacheCount)
        cachedTables = Array(repeating: [], count: cacheCount)
        cachedOffsets = Array(repeating: 0, count: cacheCount)
    }

    /// Windows one call may touch (a call never spans two passes).
    static func windowsPerCall(maxRows: Int, recipe: OrderRecipe) -> Int {
        min((maxRows + recipe.actualWindowRows - 1) / recipe.actualWindowRows + 1, recipe.windowCount)
    }

    public var isStreaming: Bool { reader != nil }

    private var passesBegun = 0
    /// The number of a new pass, for a caller that reads the split whole each time (an
    /// evaluator): 0, 1, 2, ...
    public func nextPass() -> Int {
        defer { passesBegun += 1 }
        return passesBegun
    }

    /// Indices into `storage` of the rows at positions `positions` of pass `pass`, valid until
    /// the next call. Positions only move forward within a pass (a new pass, or a position
    /// before the last, starts over, as a resume does).
    public func indices(pass: Int, positions: Range<Int>) throws(DataError) -> UnsafeBufferPointer<Int> {
        precondition(positions.count <= maxRows && positions.upperBound <= recipe.rowCount)
        let windowRows = recipe.actualWindowRows
        let windowCount = recipe.windowCount
        let firstTicket = pass * windowCount + positions.lowerBound / windowRows
        if firstTicket != lastFirstTicket {
            if firstTicket < lastFirstTicket {
                // Going back (a restart): nothing cached can be trusted.
                for index in cachedTickets.indices { cachedTickets[index] = -1 }
            }
            // Everything before this call's first window is done with: the reader may reuse
            // it. (Only when a window is left behind, so a step inside one takes no lock.)
            reader?.release(below: firstTicket)
            lastFirstTicket = firstTicket
        }
        var position = positions.lowerBound
        var out = 0
        while position < positions.upperBound {
            let window = position / windowRows
            let windowStart = window * windowRows
            let end = min(positions.upperBound, windowStart + windowRows)
            let cache = try cachedWindow(ticket: pass * windowCount + window, pass: pass, window: window)
            cachedTables[cache].withUnsafeBufferPointer { table in
                let first = out
                for index in position..<end {
                    rowBuffer[out] = table[index - windowStart]
                    out += 1
                }
                if reader != nil {
                    // The ring holds the window in visiting order.
                    let base = cachedOffsets[cache] - windowStart
                    for (offset, index) in (position..<end).enumerated() { indexBuffer[first + offset] = base + index }
                }
            }
            position = end
        }
        rowIdentities = UnsafeBufferPointer(start: rowBuffer.pointer, count: out)
        return UnsafeBufferPointer(start: indexBuffer.pointer, count: out)
    }

    private func cachedWindow(ticket: Int, pass: Int, window: Int) throws(DataError) -> Int {
        if let hit = cachedTickets.firstIndex(of: ticket) { return hit }
        let slot = nextCacheSlot
        nextCacheSlot = (nextCacheSlot + 1) % cachedTickets.count
        cachedTickets[slot] = -1
        if let reader { cachedOffsets[slot] = try reader.acquire(ticket: ticket) }
        if orderPass != pass {
            order = recipe.order(pass: pass)
            orderPass = pass
        }
        cachedTables[slot] = order.rows(ofWindow: window)
        cachedTickets[slot] = ticket
        return slot
    }
}
