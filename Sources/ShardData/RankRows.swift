import ShardCore

/// The positions of a pass that one MPI rank computes, so its streaming reader reads those
/// rows of the file and no others. A pass is cut into mini-batches of `batchRows` positions
/// (the last may be short), each batch into micro-shards of `shardRows` rows, and rank r of N
/// computes the micro-shards `ShardDivision.block(r, of: M, parts: N)` of each batch: the very
/// division `RankPlan` makes in the engine, from the batch and the shard size only.
public struct RankRows: Sendable, Equatable {
    public let rank: Int
    public let rankCount: Int
    public let batchRows: Int
    public let shardRows: Int

    public init(rank: Int, rankCount: Int, batchRows: Int, shardRows: Int) {
        precondition(rankCount >= 1 && rank >= 0 && rank < rankCount && batchRows >= 1 && shardRows >= 1)
        self.rank = rank
        self.rankCount = rankCount
        self.batchRows = batchRows
        self.shardRows = shardRows
    }

    /// The offsets within a batch of `rows` rows that this rank computes.
    public func offsets(inBatchOf rows: Int) -> Range<Int> {
        let shards = ShardDivision.block(rank, of: (rows + shardRows - 1) / shardRows, parts: rankCount)
        return min(shards.lowerBound * shardRows, rows)..<min(shards.upperBound * shardRows, rows)
    }

    /// Whether this rank computes the row at `position` of a pass over `rowCount` rows.
    public func owns(position: Int, rowCount: Int) -> Bool {
        let batch = position / batchRows
        let start = batch * batchRows
        return offsets(inBatchOf: min(batchRows, rowCount - start)).contains(position - start)
    }
}
