/// What a finished run reports; `shardtrain train --json` prints it (snake_case keys).
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var experiment: String
    public var testAccuracy: Double?
    public var testLoss: Double
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var epochs: Int
    public var steps: Int
    /// Wall time of the whole run, evaluation included.
    public var seconds: Double
    /// Training samples per second of training time (evaluation excluded).
    public var samplesPerSecond: Double
    public var workers: Int
    public var shardRows: Int
    public var batchSize: Int
    public var seed: UInt64
    public var parameters: Int
    public var modelFile: String
    /// The OpenBLAS kernel family that ran the matrix products (results differ in the last
    /// bits between families, so reproducing a run bit for bit needs the same one).
    public var blasCore: String

    enum CodingKeys: String, CodingKey {
        case experiment
        case testAccuracy = "test_accuracy"
        case testLoss = "test_loss"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case epochs, steps, seconds
        case samplesPerSecond = "samples_per_second"
        case workers
        case shardRows = "shard_rows"
        case batchSize = "batch_size"
        case seed, parameters
        case modelFile = "model_file"
        case blasCore = "blas_core"
    }
}

/// One line of progress per epoch.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var steps: Int
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var testLoss: Double
    public var testAccuracy: Double?
    public var learningRate: Float
    public var samplesPerSecond: Double
    public var seconds: Double

    public var line: String {
        func format(_ value: Double, _ digits: Int) -> String {
            let scale = Double((0..<digits).reduce(1) { result, _ in result * 10 })
            let rounded = (value * scale).rounded() / scale
            var text = String(rounded)
            let decimals = text.split(separator: ".").last?.count ?? 0
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            return text
        }
        var parts = ["epoch \(epoch)/\(epochs)", "train loss \(format(trainLoss, 4))"]
        if let trainAccuracy { parts.append("acc \(format(trainAccuracy, 4))") }
        parts.append("test loss \(format(testLoss, 4))")
        if let testAccuracy { parts.append("acc \(format(testAccuracy, 4))") }
        parts.append("lr \(learningRate)")
        parts.append("\(Int(samplesPerSecond.rounded())) samples/s")
        parts.append("\(format(seconds, 1))s")
        return parts.joined(separator: "  ")
    }
}
