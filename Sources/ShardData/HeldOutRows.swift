import ShardCore

/// The rows of a train split held out for validation (`data.validation_fraction`): a pure
/// function of the split's row count, the fraction and the seed. It does not depend on the
/// worker count or on anything drawn during training, so a run, its resume, and a run with
/// other workers hold out the same rows.
public enum HeldOutRows {
    /// Keeps these draws apart from every other use of the seed (initialisation, shuffles).
    static let domain: UInt64 = 0x7661_6C69_6461_7465  // "validate"

    /// round(fraction x rowCount), the number of rows held out.
    public static func count(rowCount: Int, fraction: Double) -> Int {
        Int((fraction * Double(rowCount)).rounded())
    }

    /// The held-out rows, ascending: the first `count` positions of a seeded Fisher-Yates
    /// shuffle of 0 ..< rowCount, from a generator of their own.
    public static func rows(rowCount: Int, fraction: Double, seed: UInt64) -> [Int] {
        let count = count(rowCount: rowCount, fraction: fraction)
        precondition(count >= 0 && count <= rowCount)
        var generator = RandomGenerator(seed: seed ^ domain)
        var order = Array(0..<rowCount)
        for position in 0..<count {
            let other = position + generator.nextIndex(below: rowCount - position)
            if other != position { order.swapAt(position, other) }
        }
        return order[0..<count].sorted()
    }

    /// The rows of 0 ..< rowCount not in `heldOut` (ascending), ascending.
    public static func complement(of heldOut: [Int], rowCount: Int) -> [Int] {
        var kept: [Int] = []
        kept.reserveCapacity(rowCount - heldOut.count)
        var next = heldOut.startIndex
        for row in 0..<rowCount {
            if next < heldOut.endIndex && heldOut[next] == row {
                next += 1
            } else {
                kept.append(row)
            }
        }
        return kept
    }
}

extension DataSplit {
    /// A new split of these `rows` of this one (features, as held, and targets copied), in
    /// that order.
    public func selecting(rows: [Int], name: String) -> DataSplit {
        let selected = DataSplit(name: name, rowCount: rows.count, width: width, storesBytes: storesBytes,
                                 scale: scale, targetWidth: isLabelled ? nil : targetWidth)
        for (position, row) in rows.enumerated() { selected.copyRow(row, of: self, to: position) }
        return selected
    }
}
