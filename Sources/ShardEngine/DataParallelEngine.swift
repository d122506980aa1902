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
///
/// Across ranks (a `ProcessGroup` of N processes, docs/engine.md "Ranks"): rank r computes the
/// micro-shards [r * M / N, (r + 1) * M / N) on its workers; the per-shard loss sums are
/// gathered and added in shard order; each rank receives its parameter slice of every
/// micro-shard's gradient, reduces and updates that slice with the same kernel and order as
/// phase 2 above, and the slices are gathered back. Every float operation is the one the
/// single-process step makes, so the weights are bitwise those of one process with one worker.
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
    /// The other ranks and the parameters they share; nil in a single process.
    private let ranks: (group: ProcessGroup, parameters: UnsafeMutablePointer<Float>)?
    /// [rankCount + 2 * maxShards]: rank r's block is its stop request, then the loss sum and
    /// correct count of each of its micro-shards (exact in a Double: counts stay below 2^53).
    private let outcomeExchange: UnsafeMutablePointer<Double>
    /// Each shard count's division among ranks, made at its first step.
    private var plans: [Int: (plan: RankPlan, counts: [Int], offsets: [Int])] = [:]
    /// The stop request every rank agreed on at the last step: the first non-zero one in rank
    /// order (0 = none), so all ranks stop after the same step.
    public private(set) var agreedStopRequest: Int32 = 0

    /// - Parameters:
    ///   - workerCount: threads computing at once, the caller's included (>= 1).
    ///   - processorCount: cores available; above it, workers park instead of spinning.
    ///   - ranks: the process group of a run on several ranks and the parameter vector
    ///     [parameterCount] that `work.update` writes (gathered back after each update).
    public init(workerCount: Int, parameterCount: Int, maxShards: Int, work: ShardWork,
                processorCount: Int,
                ranks: (group: ProcessGroup, parameters: UnsafeMutablePointer<Float>)? = nil) {
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
        self.ranks = ranks.flatMap { $0.group.rankCount > 1 ? $0 : nil }
        let rankCount = ranks?.group.rankCount ?? 1
        outcomeExchange = .allocate(capacity: rankCount + 2 * maxShards)
        outcomeExchange.initialize(repeating: 0, count: rankCount + 2 * maxShards)
    }

    deinit {
        pool.shutdown()
        shardSums.deallocate()
        outcomeExchange.deallocate()
    }

    /// One training step over a mini-batch of `rowCount` rows cut into `shardCount`
    /// micro-shards: gradients, fixed-order average, and (when `applyUpdate`) the update.
    /// Returns the batch's loss sum and correct count. When the loss is not finite, nothing
    /// is reduced or updated.
    /// On ranks, `stopRequest` is this rank's (a signal number, 0 = none); the one all ranks
    /// agree on is `agreedStopRequest` afterwards.
    @discardableResult
    public func step(shardCount: Int, rowCount: Int, applyUpdate: Bool = true,
                     stopRequest: Int32 = 0) -> ShardOutcome {
        precondition(shardCount >= 1 && shardCount <= maxShards, "\(shardCount) shards, room for \(maxShards)")
        flushSubnormalsToZero()  // the caller computes too, in the same mode as the workers
        if let ranks {
            return step(shardCount: shardCount, rowCount: rowCount, applyUpdate: applyUpdate,
                        stopRequest: stopRequest, group: ranks.group, parameters: ranks.parameters)
        }
        agreedStopRequest = stopRequest  // a world of one rank agrees with itself
        gradientPhase.shards = 0..<shardCount
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
        reductionPhase.slice = 0..<parameterCount
        reductionPhase.scale = 1 / Float(rowCount)
        reductionPhase.applyUpdate = applyUpdate
        pool.run(reductionPhase)
        return total
    }

    /// The step on ranks: the same phases, with the exchanges between them on this (the
    /// trainer's) thread while the workers wait.
    private func step(shardCount: Int, rowCount: Int, applyUpdate: Bool, stopRequest: Int32,
                      group: ProcessGroup, parameters: UnsafeMutablePointer<Float>) -> ShardOutcome {
        let (plan, counts, offsets) = plan(shardCount: shardCount, group: group)
        let mine = plan.shards[group.rank]
        gradientPhase.shards = mine
        pool.run(gradientPhase)
        // Every micro-shard's sums reach every rank, then are added in shard order 0..M-1.
        let block = outcomeExchange + offsets[group.rank]
        block[0] = Double(stopRequest)
        for (index, shard) in mine.enumerated() {
            block[1 + 2 * index] = shardSums[shard].lossSum
            block[2 + 2 * index] = Double(shardSums[shard].correct)
        }
        group.allGather(outcomeExchange, counts: counts, offsets: offsets)
        var total = ShardOutcome()
        agreedStopRequest = 0
        for rank in 0..<group.rankCount {
            let block = outcomeExchange + offsets[rank]
            if agreedStopRequest == 0 { agreedStopRequest = Int32(block[0]) }
            for index in 0..<plan.shards[rank].count {
                total.lossSum += block[1 + 2 * index]
                total.correct += Int(block[2 + 2 * index])
            }
        }
        guard total.lossSum.isFinite else { return total }
        group.exchangeSlices(gradientPhase.buffers, plan: plan)
        reductionPhase.shardCount = shardCount
        reductionPhase.slice = plan.slices[group.rank]
        reductionPhase.scale = 1 / Float(rowCount)
        reductionPhase.applyUpdate = applyUpdate
        pool.run(reductionPhase)
        group.allGatherSlices(applyUpdate ? parameters : meanGradient.pointer, slices: plan.slices)
        return total
    }

    private func plan(shardCount: Int, group: ProcessGroup) -> (plan: RankPlan, counts: [Int], offsets: [Int]) {
        if let known = plans[shardCount] { return known }
        let plan = RankPlan(shardCount: shardCount, parameterCount: parameterCount, rankCount: group.rankCount)
        let counts = plan.shards.map { 1 + 2 * $0.count }
        let offsets = plan.shards.indices.map { $0 + 2 * plan.shards[$0].lowerBound }
        plans[shardCount] = (plan, counts, offsets)
        return (plan, counts, offsets)
    }

    /// The optimizer slot (or any buffer laid out like the parameters) with every rank's
    /// slice brought to rank 0, which alone writes checkpoints. Collective: every rank calls
    /// it at the same point. Nothing to do in a single process.
    public func gatherToRoot(_ values: UnsafeMutablePointer<Float>) {
        guard let ranks else { return }
        ranks.group.gatherSlicesToRoot(
            values, slices: RankPlan.slices(count: parameterCount, parts: ranks.group.rankCount))
    }
}

/// Phase 1: each participant computes its contiguous block of micro-shards.
///
/// Shared with the workers through `WorkerPool.run`, whose handoff makes `shards`, written
/// by the caller before the run, visible to them; each participant writes only its own
/// micro-shards' buffers and sums. Holds `work` strongly: the engine must never call a model
/// that is gone.
private final class GradientPhase: PoolJob {
    let work: ShardWork
    let buffers: [UnsafeMutablePointer<Float>]
    let sums: UnsafeMutablePointer<ShardOutcome>
    let participants: Int
    /// The micro-shards this process computes: all of them, or its rank's block.
    var shards = 0..<0

    init(work: ShardWork, buffers: [UnsafeMutablePointer<Float>], sums: UnsafeMutablePointer<ShardOutcome>,
         participants: Int) {
        self.work = work
        self.buffers = buffers
        self.sums = sums
        self.participants = participants
    }

    func run(participant: Int) {
        let first = shards.lowerBound + participant * shards.count / participants
        let end = shards.lowerBound + (participant + 1) * shards.count / participants
        for shard in first..<end {
            sums[shard] = work.computeShard(shard, worker: participant, gradient: buffers[shard])
        }
    }
}

/// Phase 2: each participant reduces, scales and updates its slice of the parameter vector.
///
/// Shared like `GradientPhase`: `shardCount`, `slice`, `scale` and `applyUpdate` are written by
/// the caller before `WorkerPool.run`; each participant writes only its own part of `mean`.
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
    /// The part of the parameter vector this process reduces: all of it, or its rank's slice.
    var slice = 0..<0
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

    /// Boundaries within `slice` on 16-float (64-byte) multiples, so no two participants write
    /// one cache line (a rank's slice starts on one).
    func boundary(_ participant: Int) -> Int {
        participant == participants ? slice.upperBound
            : slice.lowerBound + ((slice.count * participant / participants) & ~15)
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
