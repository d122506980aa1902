import Foundation
import ShardCheckpoint
import ShardConfig
import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// One data-parallel update, and the stop requests checked between updates.
extension Trainer {
    /// Saves a checkpoint and throws `interrupted` when an observer asks to stop.
    func stopIfRequested(timer: inout RunTimer) throws {
        let agreed = engine.agreedStopRequest
        guard let signal = group == nil ? localStopRequest() : agreed == 0 ? nil : agreed else { return }
        var path = lastSaved.flatMap { $0.step == state.step ? $0.path : nil }
        if path == nil { path = try saveCheckpoint(timer: &timer) }
        throw TrainingError.interrupted(signal: signal, checkpoint: path ?? "(no run directory)",
                                        runDirectory: checkpoints?.runDirectory ?? "")
    }

    /// The first observer's stop request (a signal number), or nil.
    func localStopRequest() -> Int32? {
        observers.lazy.compactMap { $0.stopRequested() }.first
    }

    /// One update from the rows `indices` of `split`, which are the train rows `rows` (what
    /// keys their dropout masks; the same as `indices` when `split` is the train split in
    /// memory): gradients on all workers, the fixed-order average, the optimizer. A non-finite
    /// loss leaves the weights untouched.
    @discardableResult
    public func step(indices: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>, from split: DataSplit,
                     learningRate: Float, stopRequest: Int32 = 0) -> ShardOutcome {
        work.split = split
        work.indices = indices
        work.rowIdentities = rows
        work.learningRate = learningRate
        work.step = state.step
        let sums = engine.step(shardCount: work.shardCount(rows: indices.count), rowCount: indices.count,
                               stopRequest: stopRequest)
        if sums.lossSum.isFinite { optimizer.finishStep() }
        work.indices = UnsafeBufferPointer(start: nil, count: 0)
        return sums
    }

    /// One update from the train rows `indices` (memory loading: rows of the split).
    @discardableResult
    public func step(indices: ArraySlice<Int>, learningRate: Float) -> ShardOutcome {
        precondition(data.trainSplit != nil, "Trainer.step(indices:) needs the train split in memory (data.loading = memory)")
        return indices.withUnsafeBufferPointer { step(indices: $0, rows: $0, from: data.trainSplit!, learningRate: learningRate) }
    }

    /// The mean gradient of the train rows `indices` into `gradient`, without an update;
    /// returns the batch's loss sum and correct count (memory loading).
    func computeGradient(indices: ArraySlice<Int>) -> ShardOutcome {
        indices.withUnsafeBufferPointer { pointer in
            work.split = data.trainSplit
            work.indices = pointer
            work.rowIdentities = pointer
            defer { work.indices = UnsafeBufferPointer(start: nil, count: 0) }
            return engine.step(shardCount: work.shardCount(rows: pointer.count), rowCount: pointer.count,
                               applyUpdate: false)
        }
    }
}
