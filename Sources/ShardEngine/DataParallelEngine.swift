import ShardCore

/// Shards every mini-batch across workers, averages their gradients and applies the update:
/// ShardTrain's data-parallel engine.
///
/// A step is two fork-joins over the worker pool:
/// 1. Gradients. The mini-batch is cut into `shardCount` micro-shards whose boundaries depend
///    on the batch only, never on the worker count. Participant p computes micro-shards
///    [p * M / W, (p + 1) * M / W), each into its own gradient buffer.
/// 2. Reduction and update. Participant p owns a 64-byte aligned slice of the parameter
///    vector; for each element of it, it sums the M micro-shard gradients in shard order
///    0, 1, ..., M-1, multiplies by 1 / rows, and hands the slice to `update`.
/// Because every micro-shard's gradient and every element's summation order are the same
/// whatever the worker count, the weights are bitwise identical for 1, 2, 3, ... workers.
/// Micro-shard losses are likewise summed in shard order.
///
/// Nothing is allocated, no lock is taken, and no system call is made per step (see
/// `WorkerPool` for the threading rules). All buffers are sized once, for `maxShards`.
public final class DataParallelEngine {
    public let workerCount: Int
    public let parameterCount: Int
    public let maxShards: Int
    /// [parameterCount], the mean gradient of the last step (written in phase 2)
    public let meanGradient: FloatBuffer
    /// maxShards buffers of [parameterCount]: micro-shard s writes buffer s
    let shardGradients: [FloatBuffer]
    let shardSums: UnsafeMutablePointer<ShardOutcome>
    let pool: WorkerPool
    private let gradientPhase: GradientPhase
    private let reductionPhase: ReductionPhase

    /// - Parameters:
    ///   - workerCount: threads computing at once, the caller's included (>= 1).
    ///   - processorCount: cores available; above it, workers park instead of spinning.
    public init(workerCount: Int, parameterCount: Int, maxShards: Int, work: ShardWork,
                processorCount: Int) {
        precondition(workerCount >= 1 && maxShards >= 1 && parameterCount >= 1)
        // Workers call BLAS at once; OpenBLAS's own threads would compete with them for the
        // cores. Set here, where the concurrency is, so every user of the engine gets it.
        BLAS.useSingleThread()
        self.workerCount = workerCount
        self.parameterCount = parameterCount
        self.maxShards = maxShards
        meanGradient = FloatBuffer(count: parameterCount)
        shardGradients = (0..<maxShards).map { _ in FloatBuffer(count: parameterCount) }
        shardSums = .allocate(capacity: maxShards)
        shardSums.initialize(repeating: ShardOutcome(), count: maxShards)
        pool = WorkerPool(participantCount: workerCount, processorCount: processorCount)
        gradientPhase = GradientPhase(work: work, buffers: shardGradients.map(\.pointer),
                                      sums: shardSums, participants: workerCount)
        reductionPhase = ReductionPhase(work: work, buffers: shardGradients.map(\.pointer),
                                        mean: meanGradient.pointer, count: parameterCount,
                                        participants: workerCount)
    }

    deinit {
        pool.shutdown()
        shardSums.deallocate()
    }

    /// One training step over a mini-batch of `rowCount` rows cut into `shardCount`
    /// micro-shards: gradients, fixed-order average, and (when `applyUpdate`) the update.
    /// Returns the batch's loss sum and correct count. When the loss is not finite, nothing
    /// is reduced or updated.
    @discardableResult
    public func step(shardCount: Int, rowCount: Int, applyUpdate: Bool = true) -> ShardOutcome {
        precondition(shardCount >= 1 && shardCount <= maxShards, "\(shardCount) shards, room for \(maxShards)")
        flushSubnormalsToZero()  // the caller computes too, in the same mode as the workers
        gradientPhase.shardCount = shardCount
        pool.run(gradientPhase)
        var total = ShardOutcome()
        for shard in 0..<shardCount {
            total.lossSum += shardSums[shard].lossSum
            total.correct += shardSums[shard].correct
        }
        // A non-finite loss means a non-finite gradient: keep the weights of the last good
        // step and let the caller stop.
        guard total.lossSum.isFinite else { return total }
        reductionPhase.shardCount = shardCount
        reductionPhase.scale = 1 / Float(rowCount)
        reductionPhase.applyUpdate = applyUpdate
        pool.run(reductionPhase)
        return total
    }
}

/// Phase 1: each participant computes its contiguous block of micro-shards.
///
/// Shared with the workers through `WorkerPool.run`, whose handoff makes `shardCount`, written
/// by the caller before the run, visible to them; each participant writes only its own
/// micro-shards' buffers and sums. Holds `work` strongly: the engine must never call a model
/// that is gone.
private final class GradientPhase: PoolJob {
    let work: ShardWork
    let buffers: [UnsafeMutablePointer<Float>]
    let sums: UnsafeMutablePointer<ShardOutcome>
    let participants: Int
    var shardCount = 0

    init(work: ShardWork, buffers: [UnsafeMutablePointer<Float>], sums: UnsafeMutablePointer<ShardOutcome>,
         participants: Int) {
        self.work = work
        self.buffers = buffers
        self.sums = sums
        self.participants = participants
    }

    func run(participant: Int) {
        let first = participant * shardCount / participants
        let end = (participant + 1) * shardCount / participants
        for shard in first..<end {
            sums[shard] = work.computeShard(shard, worker: participant, gradient: buffers[shard])
        }
    }
}

/// Phase 2: each participant reduces, scales and updates its slice of the parameter vector.
///
/// Shared like `GradientPhase`: `shardCount`, `scale` and `applyUpdate` are written by the
/// caller before `WorkerPool.run`; each participant writes only its own slice of `mean`.
private final class ReductionPhase: PoolJob {
    /// Elements per block: small enough that a block of the sum stays in L1 while the shard
    /// buffers stream through it.
    static let blockSize = 2048
    let work: ShardWork
    let buffers: [UnsafeMutablePointer<Float>]
    let mean: UnsafeMutablePointer<Float>
    let count: Int
    let participants: Int
    var shardCount = 0
    var scale: Float = 1
    var applyUpdate = true

    init(work: ShardWork, buffers: [UnsafeMutablePointer<Float>], mean: UnsafeMutablePointer<Float>,
         count: Int, participants: Int) {
        self.work = work
        self.buffers = buffers
        self.mean = mean
        self.count = count
        self.participants = participants
    }

    /// Slice boundaries on 16-float (64-byte) multiples, so no two participants write one
    /// cache line.
    func boundary(_ participant: Int) -> Int {
        participant == participants ? count : (count * participant / participants) & ~15
    }

    func run(participant: Int) {
        let sliceEnd = boundary(participant + 1)
        var start = boundary(participant)
        while start < sliceEnd {
            let end = min(start + Self.blockSize, sliceEnd)
            let out = mean + start
            let length = end - start
            // ((g0 + g1) + g2 + ...) * scale, element by element, with the first add and the
            // scale folded into the passes that are made anyway.
            let first = buffers[0] + start
            if shardCount == 1 {
                for index in 0..<length { out[index] = first[index] * scale }
            } else {
                let second = buffers[1] + start
                for index in 0..<length { out[index] = first[index] + second[index] }
                if shardCount > 2 {
                    for shard in 2..<shardCount {
                        let source = buffers[shard] + start
                        for index in 0..<length { out[index] += source[index] }
                    }
                }
                for index in 0..<length { out[index] *= scale }
            }
            if applyUpdate { work.update(range: start..<end, meanGradient: mean) }
            start = end
        }
    }
}
