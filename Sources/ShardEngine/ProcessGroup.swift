import ShardCore

/// The other processes of a run (MPI ranks, in `ShardCluster`), as the engine and the trainer
/// need them, and all they know of MPI. A run without one is a single process: the engine then
/// takes exactly the code path it takes without ranks.
///
/// Every method is collective: all ranks call it, in the same order, with the same shape
/// arguments, from the trainer's thread only (the engine's workers never communicate). An
/// implementation that cannot complete a call (a rank died or stopped answering) does not
/// return: it reports the failure and ends the process, so no rank waits forever.
public protocol ProcessGroup: AnyObject {
    /// This process's rank, 0..<rankCount.
    var rank: Int { get }
    var rankCount: Int { get }

    /// Rank r's `counts[r]` values, concatenated in rank order into `all` (rank r's block at
    /// `offsets[r]`); this rank's own block is already in place in `all`.
    func allGather(_ all: UnsafeMutablePointer<Double>, counts: [Int], offsets: [Int])

    /// The gradient exchange. `buffers[s]` [parameters] holds micro-shard s's gradient on the
    /// rank that computed it (`plan.shards[r]` are rank r's micro-shards). Afterwards, on each
    /// rank r, `buffers[s][plan.slices[r]]` holds micro-shard s's gradient there for every s:
    /// each rank receives, from every other, its own slice of each of their micro-shards.
    func exchangeSlices(_ buffers: [UnsafeMutablePointer<Float>], plan: RankPlan)

    /// Each rank's slice `slices[r]` of `values`, sent to every rank: afterwards all ranks hold
    /// the whole vector.
    func allGatherSlices(_ values: UnsafeMutablePointer<Float>, slices: [Range<Int>])

    /// Each rank's slice `slices[r]` of `values`, sent to rank 0 only (the optimizer's slots,
    /// when rank 0 writes a checkpoint).
    func gatherSlicesToRoot(_ values: UnsafeMutablePointer<Float>, slices: [Range<Int>])
}

/// How a step of `shardCount` micro-shards over `parameterCount` parameters is divided among
/// `rankCount` ranks: rank r computes micro-shards [r·M/N, (r+1)·M/N) (whole micro-shards,
/// contiguous, fixed by the batch and the shard size only) and owns the parameter slice
/// [r·P/N, (r+1)·P/N) cut down to a multiple of 16 floats (64 bytes), whose reduction and
/// update it does for everyone.
public struct RankPlan: Sendable, Equatable {
    public let shards: [Range<Int>]
    public let slices: [Range<Int>]

    public init(shardCount: Int, parameterCount: Int, rankCount: Int) {
        shards = (0..<rankCount).map { ShardDivision.block($0, of: shardCount, parts: rankCount) }
        slices = Self.slices(count: parameterCount, parts: rankCount)
    }

    /// `parts` contiguous slices of 0..<count, each boundary (but the last) on 16 floats.
    public static func slices(count: Int, parts: Int) -> [Range<Int>] {
        slices(of: 0..<count, parts: parts)
    }

    /// `parts` contiguous slices of `range` (whose start is a multiple of 16), each inner
    /// boundary rounded down to a multiple of 16 floats so no two parts share a cache line.
    static func slices(of range: Range<Int>, parts: Int) -> [Range<Int>] {
        func boundary(_ part: Int) -> Int {
            part == parts ? range.upperBound
                : range.lowerBound + ((range.count * part / parts) & ~15)
        }
        return (0..<parts).map { boundary($0)..<max(boundary($0), boundary($0 + 1)) }
    }
}
