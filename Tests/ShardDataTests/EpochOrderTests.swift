import Testing
@testable import ShardData

/// The epoch order: a permutation, a pure function of its inputs, shuffled only within windows.
struct EpochOrderTests {
    @Test(arguments: [(1000, 64, 200), (1000, 64, 64), (1000, 1000, 65_536), (7, 3, 1), (60_000, 1024, 65_536), (1, 1, 1)])
    func isAPermutationOfEveryRow(rows: Int, blockRows: Int, windowRows: Int) {
        for epoch in 1...3 {
            let order = EpochOrder(seed: 42, epoch: epoch, rowCount: rows, blockRows: blockRows, windowRows: windowRows)
            #expect(order.allRows().sorted() == Array(0..<rows))
            #expect((0..<order.windowCount).map { order.positions(ofWindow: $0).count }.reduce(0, +) == rows)
        }
    }

    @Test func isAPureFunctionOfSeedEpochAndRows() {
        let a = EpochOrder(seed: 7, epoch: 3, rowCount: 5000, blockRows: 100, windowRows: 1000)
        let b = EpochOrder(seed: 7, epoch: 3, rowCount: 5000, blockRows: 100, windowRows: 1000)
        #expect(a.allRows() == b.allRows())
        // Any window alone equals its part of the whole.
        #expect(Array(a.allRows()[1000..<2000]) == b.rows(ofWindow: 1))
        #expect(a.allRows() != EpochOrder(seed: 7, epoch: 4, rowCount: 5000, blockRows: 100, windowRows: 1000).allRows())
        #expect(a.allRows() != EpochOrder(seed: 8, epoch: 3, rowCount: 5000, blockRows: 100, windowRows: 1000).allRows())
        #expect(a.allRows() != Array(0..<5000))
    }

    @Test func shufflesOnlyWithinAWindowOfWholeBlocks() {
        let order = EpochOrder(seed: 1, epoch: 1, rowCount: 1050, blockRows: 100, windowRows: 250)
        #expect(order.windowRows == 200)  // whole blocks
        for window in 0..<order.windowCount {
            let rows = order.rows(ofWindow: window)
            let blocks = Set(rows.map { $0 / 100 })
            #expect(blocks.count == order.blockRanges(ofWindow: window).count)
            #expect(blocks == Set(order.blockRanges(ofWindow: window).map { $0.lowerBound / 100 }))
        }
        // The short last block (rows 1000..<1050) stays in the last window.
        #expect(order.rows(ofWindow: order.windowCount - 1).contains(1049))
        // Rows of one block are spread over their window, not kept together.
        let first = order.rows(ofWindow: 0)
        #expect(first.prefix(10).map { $0 / 100 } != Array(repeating: first[0] / 100, count: 10))
    }

    @Test func sequentialOrderIsTheFileOrder() {
        #expect(EpochOrder.sequential(rowCount: 777, blockRows: 64, windowRows: 128).allRows() == Array(0..<777))
    }

    @Test func counterGeneratorIsUniformEnough() {
        var random = CounterRandom(seed: 3, epoch: 1, stream: 0)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[random.next(below: 10)] += 1 }
        #expect(counts.allSatisfy { (9_500...10_500).contains($0) })
    }
}
