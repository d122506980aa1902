import Testing
@testable import ShardEngine

/// How a step is divided among ranks: whole contiguous micro-shards, and parameter slices on
/// 64-byte boundaries that cover the vector once.
struct RankPlanTests {
    @Test(arguments: [1, 2, 3, 5, 8])
    func shardsAndSlicesCoverEverythingOnceInOrder(ranks: Int) {
        for (shards, parameters) in [(1, 7), (7, 739), (8, 235_146), (3, 16)] {
            let plan = RankPlan(shardCount: shards, parameterCount: parameters, rankCount: ranks)
            #expect(plan.shards.first?.lowerBound == 0 && plan.shards.last?.upperBound == shards)
            #expect(plan.slices.first?.lowerBound == 0 && plan.slices.last?.upperBound == parameters)
            for rank in 1..<ranks {
                #expect(plan.shards[rank].lowerBound == plan.shards[rank - 1].upperBound)
                #expect(plan.slices[rank].lowerBound == plan.slices[rank - 1].upperBound)
                #expect(plan.slices[rank].lowerBound % 16 == 0)
            }
        }
        // The blocks depend on the shard count and rank count only: 7 shards on 3 ranks.
        #expect(RankPlan(shardCount: 7, parameterCount: 64, rankCount: 3).shards == [0..<2, 2..<4, 4..<7])
    }
}
