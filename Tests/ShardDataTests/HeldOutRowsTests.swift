import ShardCore
import Testing
@testable import ShardData

/// data.validation_fraction's rows: a function of the row count, fraction and seed only.
struct HeldOutRowsTests {
    @Test func heldOutRowsAreSeededSortedAndDisjointFromTheKeptRows() {
        let held = HeldOutRows.rows(rowCount: 1000, fraction: 0.1, seed: 4)
        #expect(held.count == 100)
        #expect(held == held.sorted() && Set(held).count == 100)
        #expect(held == HeldOutRows.rows(rowCount: 1000, fraction: 0.1, seed: 4))
        #expect(held != HeldOutRows.rows(rowCount: 1000, fraction: 0.1, seed: 5))
        let kept = HeldOutRows.complement(of: held, rowCount: 1000)
        #expect(kept.count == 900)
        #expect(Set(kept).isDisjoint(with: held))
        #expect(Set(kept).union(held) == Set(0..<1000))
        // Spread over the split, not a block at one end.
        #expect(held.first! < 100 && held.last! > 900)
    }

    @Test func countIsTheRoundedFraction() {
        #expect(HeldOutRows.count(rowCount: 60000, fraction: 0.1) == 6000)
        #expect(HeldOutRows.count(rowCount: 7, fraction: 0.5) == 4)  // 3.5 rounds away from 0
        #expect(HeldOutRows.count(rowCount: 3, fraction: 0.1) == 0)
    }

    @Test func selectingCopiesTheRowsAndTheirTargets() {
        let split = DataSplit(name: "train", rowCount: 4, width: 2,
                              features: FloatBuffer([0, 1, 10, 11, 20, 21, 30, 31]),
                              targets: .labels([0, 1, 2, 3]))
        let picked = split.selecting(rows: [3, 1], name: "validation")
        #expect(picked.name == "validation" && picked.rowCount == 2 && picked.width == 2)
        #expect(picked.features.array == [30, 31, 10, 11])
        #expect(picked.labels == [3, 1])
        let regression = DataSplit(name: "train", rowCount: 3, width: 1, features: FloatBuffer([0, 1, 2]),
                                   targets: .values(FloatBuffer([0, 0.5, 1, 1.5, 2, 2.5]), width: 2))
        guard case .values(let values, let width) = regression.selecting(rows: [2], name: "v").targets else {
            Issue.record("float targets should stay float targets")
            return
        }
        #expect(width == 2 && values.array == [2, 2.5])
    }
}
