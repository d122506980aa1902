import Foundation
import ShardCore

/// One I/O thread that reads the windows of a split ahead of training into a bounded ring.
///
/// A window is the rows of one `EpochOrder` window, read block by block (hyperslabs aligned
/// to the file's chunks) and written into its ring slot already in visiting order, so a step
/// gathers rows that sit next to each other. Windows are numbered by tickets: ticket
/// t = pass * windowCount + window, so the reader runs on from one epoch into the next (the
/// order is a pure function) and the next epoch's first windows load during evaluation.
///
/// Threading rules (all state below the lock is guarded by `condition`):
/// - The reader thread is the only one that calls HDF5 for this split, and the only writer
///   of ring slots. It fills tickets [base, base + slotCount), ticket t into slot
///   t % slotCount, and marks a slot ready only after the whole window is in it.
/// - The consumer (the trainer's thread) reads a slot only between `acquire(ticket:)`
///   returning its offset and `release(below:)` passing it; workers read it inside a step,
///   which ends before the trainer's next call. So no slot is read while it is written.
/// - `release(below:)` moves `base` forward: the slots of released tickets are refilled.
///   An `acquire` outside [base, base + slotCount) starts over there (a resume, or a reader
///   made for a later position); a fill for a ticket no longer wanted is discarded.
/// - A read error is stored with its ticket and thrown by the `acquire` of that ticket.
/// - `waits` counts acquires that found their window not ready (in the steady state, 0).
public final class StreamingReader: @unchecked Sendable {
    public let recipe: OrderRecipe
    /// The ring: slotCount windows of rows, slot s at rows [s * windowRows, (s + 1) * windowRows).
    public let ring: DataSplit
    public let slotCount: Int
    public let windowRows: Int
    private let state: SharedState
    private let thread: Thread

    /// Bytes the reader holds: the ring and one block of staging.
    public let memoryBytes: Int

    /// Reads `layout`'s split in `recipe`'s order; enough slots for `maxRows` rows per call
    /// plus one window read ahead. `firstTicket` is where reading starts.
    /// `endTicket`: no window from it on is read (the run's last epoch ends there).
    /// `rows`: on one of several MPI ranks, the positions this rank computes; only their rows
    /// are read (the ring's other rows are left as they are: no step of this rank reads them).
    public init(layout: SplitLayout, file: DatasetFile, recipe: OrderRecipe, maxRows: Int,
                labelLimit: Int, firstTicket: Int = 0, endTicket: Int = .max, rows: RankRows? = nil) throws(DataError) {
        self.recipe = recipe
        // A slot never holds more than the split: a small split is one window a pass.
        windowRows = min(recipe.actualWindowRows, recipe.rowCount)
        slotCount = RowFeed.windowsPerCall(maxRows: maxRows, recipe: recipe) + 1
        let storesBytes = layout.featureKind == .uint8
        ring = DataSplit(name: layout.split, rowCount: slotCount * windowRows, width: layout.width,
                         storesBytes: storesBytes, scale: layout.scale, targetWidth: layout.targetWidth)
        let staging = DataSplit(name: layout.split, rowCount: layout.blockRows, width: layout.width,
                                storesBytes: storesBytes, scale: layout.scale, targetWidth: layout.targetWidth)
        memoryBytes = (slotCount * windowRows + layout.blockRows) * layout.memoryRowBytes + layout.chunkCacheBytes
        let blockReader = try SplitBlockReader(layout: layout, file: file, chunkCacheBytes: layout.chunkCacheBytes)
        blockReader.labelLimit = labelLimit
        state = SharedState(slotCount: slotCount, base: firstTicket, endTicket: endTicket)
        let work = ReaderWork(state: state, reader: blockReader, recipe: recipe, ring: ring, staging: staging,
                              windowRows: windowRows, rankRows: rows)
        let state = state
        thread = Thread {
            work.run()
            state.finished.signal()
        }
        thread.name = "shardtrain-reader-\(layout.split)"
        thread.start()
    }

    /// Stops the thread and waits for it, so its HDF5 handles close before the owner goes on
    /// (HDF5 shuts down when the process exits; a handle closed after that is an error).
    deinit {
        state.stop()
        state.finished.wait()
    }

    /// The ring row where ticket `ticket`'s window starts, once it is fully read; waits for
    /// it if need be. Throws the error reading it met.
    public func acquire(ticket: Int) throws(DataError) -> Int {
        let slot = try state.acquire(ticket: ticket)
        return slot * windowRows
    }

    /// Every ticket below `ticket` is done with.
    public func release(below ticket: Int) { state.release(below: ticket) }

    /// Acquires that had to wait for the reader, and the seconds they waited.
    public var waits: (count: Int, seconds: Double) { state.waitFigures() }

    /// Rows read from the file so far (a window read for a ticket no longer wanted included).
    public var rowsRead: Int { state.rowsReadSoFar() }
}

/// The reader's and the consumer's shared state, under one condition.
private final class SharedState: @unchecked Sendable {
    let condition = NSCondition()
    let slotCount: Int
    var base: Int
    var generation = 0
    var slotTicket: [Int]
    var slotReady: [Bool]
    var slotError: [DataError?]
    var stopping = false
    var waitCount = 0
    var waitSeconds = 0.0
    var rowsRead = 0
    let endTicket: Int
    /// Signalled when the thread has ended (its handles released).
    let finished = DispatchSemaphore(value: 0)

    init(slotCount: Int, base: Int, endTicket: Int) {
        self.slotCount = slotCount
        self.base = base
        self.endTicket = endTicket
        slotTicket = Array(repeating: -1, count: slotCount)
        slotReady = Array(repeating: false, count: slotCount)
        slotError = Array(repeating: nil, count: slotCount)
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func acquire(ticket: Int) throws(DataError) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if ticket < base || ticket >= base + slotCount {
            base = ticket
            generation += 1
            for slot in 0..<slotCount { slotTicket[slot] = -1; slotReady[slot] = false; slotError[slot] = nil }
            condition.broadcast()
        }
        let slot = ticket % slotCount
        if !(slotTicket[slot] == ticket && slotReady[slot]) {
            waitCount += 1
            let start = ContinuousClock.now
            while !(slotTicket[slot] == ticket && slotReady[slot]) { condition.wait() }
            let waited = ContinuousClock.now - start
            waitSeconds += Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18
        }
        if let error = slotError[slot] { throw error }
        return slot
    }

    func release(below ticket: Int) {
        condition.lock()
        if ticket > base {
            base = ticket
            condition.broadcast()
        }
        condition.unlock()
    }

    func rowsReadSoFar() -> Int {
        condition.lock()
        defer { condition.unlock() }
        return rowsRead
    }

    func waitFigures() -> (count: Int, seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        return (waitCount, waitSeconds)
    }

    /// The next ticket to read and its slot, marked as being filled; nil when stopping.
    func nextTicket() -> (ticket: Int, slot: Int, generation: Int)? {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            for ticket in base..<min(base + slotCount, max(base, endTicket)) where slotTicket[ticket % slotCount] != ticket {
                let slot = ticket % slotCount
                slotTicket[slot] = ticket
                slotReady[slot] = false
                slotError[slot] = nil
                return (ticket, slot, generation)
            }
            condition.wait()
        }
        return nil
    }

    func finished(ticket: Int, slot: Int, generation: Int, error: DataError?, rows: Int) {
        condition.lock()
        rowsRead += rows
        if self.generation == generation, slotTicket[slot] == ticket {
            slotReady[slot] = true
            slotError[slot] = error
            condition.broadcast()
        }
        condition.unlock()
    }
}

/// What the reader thread runs. Shared with the thread that starts it only through `init`:
/// afterwards the reader thread alone uses `reader`, `staging` and the ring slots it is
/// filling (see `StreamingReader`), so the class is `@unchecked Sendable`.
private struct ReaderWork: @unchecked Sendable {
    let state: SharedState
    let reader: SplitBlockReader
    let recipe: OrderRecipe
    let ring: DataSplit
    let staging: DataSplit
    let windowRows: Int
    let rankRows: RankRows?

    func run() {
        var orderPass = -1
        var order = recipe.order(pass: 0)
        while let (ticket, slot, generation) = state.nextTicket() {
            let pass = ticket / recipe.windowCount
            let window = ticket % recipe.windowCount
            if pass != orderPass {
                order = recipe.order(pass: pass)
                orderPass = pass
            }
            var failure: DataError?
            var rows = 0
            do {
                rows = try fill(slot: slot, window: window, order: order)
            } catch {
                failure = error
            }
            state.finished(ticket: ticket, slot: slot, generation: generation, error: failure, rows: rows)
        }
    }

    /// Reads the window's blocks into staging, one at a time, and puts each row where its
    /// visiting position says; on a rank, only the rows at the positions it computes. Returns
    /// the rows read.
    private func fill(slot: Int, window: Int, order: EpochOrder) throws(DataError) -> Int {
        let permutation = order.permutation(ofWindow: window)
        var destination = [Int](repeating: 0, count: permutation.count)
        for (position, concatenated) in permutation.enumerated() { destination[concatenated] = position }
        let base = slot * windowRows
        var concatenated = 0
        var read = 0
        let windowStart = order.positions(ofWindow: window).lowerBound
        var selected: [Int] = []
        for rows in order.blockRanges(ofWindow: window) {
            // The block's rows to read (offsets in the block): all, or on a rank its own.
            selected.removeAll(keepingCapacity: true)
            for row in 0..<rows.count where rankRows?.owns(position: windowStart + destination[concatenated + row],
                                                           rowCount: order.rowCount) ?? true {
                selected.append(row)
            }
            if selected.count == rows.count {
                try reader.read(rows: rows, into: staging, at: 0)
            } else {
                try reader.read(selectedRows: selected.lazy.map { rows.lowerBound + $0 }, into: staging, at: 0)
            }
            for (index, row) in selected.enumerated() {
                ring.copyRow(index, of: staging, to: base + destination[concatenated + row])
            }
            read += selected.count
            concatenated += rows.count
        }
        return read
    }
}
