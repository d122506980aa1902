/// Where a run stands, beyond its weights and optimizer slots: everything a checkpoint must
/// hold so that a resumed run continues bit for bit where the first one stopped.
public struct TrainingState: Sendable, Equatable {
    /// The epoch in progress, or the next to start (1-based).
    public var epoch: Int = 1
    /// Rows of `order` already trained in this epoch; 0 means the epoch has not started and
    /// `order` is shuffled again when it does.
    public var position: Int = 0
    /// Updates applied so far.
    public var step: Int = 0
    /// The sample order of the epoch in progress. Each epoch shuffles the previous order in
    /// place, so it is kept between epochs too.
    public var order: [Int]
    /// The generator after everything drawn so far (initialisation, shuffles).
    public var generatorState: [UInt64]
    /// Loss sum and correct count over the rows of this epoch trained so far.
    public var epochLossSum: Double = 0
    public var epochCorrect: Int = 0
    /// Training time and wall time of the whole run so far, across resumed segments.
    public var trainingSeconds: Double = 0
    public var wallSeconds: Double = 0
    /// One record per finished epoch.
    public var history: [EpochRecord] = []

    public init(rowCount: Int, generatorState: [UInt64]) {
        order = Array(0..<rowCount)
        self.generatorState = generatorState
    }

    public var samplesSeen: Int {
        history.count * order.count + position
    }

    /// Training samples per second of training time (evaluation and checkpoints excluded).
    public var samplesPerSecond: Double {
        trainingSeconds > 0 ? Double(samplesSeen) / trainingSeconds : 0
    }

    /// The best epoch so far by `EpochRecord.score`; on a tie the earlier one (a later epoch
    /// must be strictly better to count as an improvement).
    public var best: EpochRecord? {
        history.max { $0.score < $1.score }
    }
}

/// The figures of one finished epoch, as the progress line and the metrics history show them.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var testLoss: Double
    public var testAccuracy: Double?
    public var learningRate: Double
    /// Wall time of the epoch, evaluation included.
    public var seconds: Double

    public init(epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double?, testLoss: Double,
                testAccuracy: Double?, learningRate: Double, seconds: Double) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
    }

    /// What "best" means, in one place: the score the best checkpoint and the report's `best`
    /// are chosen by, higher is better.
    public var score: Double { Self.score(accuracy: testAccuracy, loss: testLoss) }

    /// Accuracy for classification, minus the loss for regression.
    public static func score(accuracy: Double?, loss: Double) -> Double { accuracy ?? -loss }

    enum CodingKeys: String, CodingKey {
        case epoch, step, seconds
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy"
        case testLoss = "test_loss", testAccuracy = "test_accuracy"
        case learningRate = "learning_rate"
    }
}
