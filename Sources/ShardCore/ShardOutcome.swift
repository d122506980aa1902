/// The sums a shard reports: loss summed over its rows and how many rows were classified
/// correctly (argmax of the output equals the label; 0 for float targets).
public struct ShardOutcome: Sendable, Equatable {
    public var lossSum: Double
    public var correct: Int

    public init(lossSum: Double = 0, correct: Int = 0) {
        self.lossSum = lossSum
        self.correct = correct
    }

    public static func + (lhs: ShardOutcome, rhs: ShardOutcome) -> ShardOutcome {
        ShardOutcome(lossSum: lhs.lossSum + rhs.lossSum, correct: lhs.correct + rhs.correct)
    }
}
