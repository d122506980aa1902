import ShardCheckpoint

/// What a run tells the world and asks of it: one protocol in place of callbacks. The trainer
/// calls its observers on its own thread, in the order they were added; every method has a
/// default that does nothing.
public protocol TrainingObserver: AnyObject {
    /// After every update (keep it cheap: it runs between steps).
    func stepEnded(_ trainer: Trainer)
    /// After each epoch's evaluation and before its checkpoint. A throw ends the run.
    func epochEnded(_ report: EpochReport, trainer: Trainer) throws
    /// Asked after every step: the signal number (SIGINT, SIGTERM) to stop with a checkpoint.
    func stopRequested() -> Int32?
}

extension TrainingObserver {
    public func stepEnded(_ trainer: Trainer) {}
    public func epochEnded(_ report: EpochReport, trainer: Trainer) throws {}
    public func stopRequested() -> Int32? { nil }
}

/// A finished epoch: its record and how fast it trained.
public struct EpochReport: Sendable {
    public var record: EpochRecord
    public var epochs: Int
    /// Training samples per second of this epoch (of this process's part of it on a resume).
    public var samplesPerSecond: Double
    /// True when this epoch is the best so far by validation (marked `*` in the line).
    public var isBest = false

    /// The progress line: `epoch 3/20  train loss 0.3121  acc 0.8855  val loss 0.3301  acc
    /// 0.8810 *  test loss ...` (`*`: the best epoch so far by validation).
    public var line: String {
        func format(_ value: Double, _ digits: Int) -> String {
            let scale = Double((0..<digits).reduce(1) { result, _ in result * 10 })
            let rounded = (value * scale).rounded() / scale
            var text = String(rounded)
            let decimals = text.split(separator: ".").last?.count ?? 0
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            return text
        }
        var parts = ["epoch \(record.epoch)/\(epochs)", "train loss \(format(record.trainLoss, 4))"]
        if let accuracy = record.trainAccuracy { parts.append("acc \(format(accuracy, 4))") }
        if let loss = record.validationLoss {
            parts.append("val loss \(format(loss, 4))")
            if let accuracy = record.validationAccuracy { parts.append("acc \(format(accuracy, 4))") }
            if isBest { parts[parts.count - 1] += " *" }
        }
        if let loss = record.testLoss { parts.append("test loss \(format(loss, 4))") }
        if let accuracy = record.testAccuracy { parts.append("acc \(format(accuracy, 4))") }
        parts.append("lr \(Float(record.learningRate))")
        parts.append("\(Int(samplesPerSecond.rounded())) samples/s")
        parts.append("\(format(record.seconds, 1))s")
        return parts.joined(separator: "  ")
    }
}
