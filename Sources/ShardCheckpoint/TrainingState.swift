/// Where a run stands, beyond its weights and optimizer slots: everything a checkpoint must
/// hold so that a resumed run continues bit for bit where the first one stopped.
public struct TrainingState: Sendable, Equatable {
    /// The epoch in progress, or the next to start (1-based).
    public var epoch: Int = 1
    /// Positions of the epoch's order already trained; 0 means the epoch has not started.
    /// The order itself is a pure function of (seed, epoch, rows, blocks, window)
    /// (`EpochOrder`), so it is not stored.
    public var position: Int = 0
    /// Updates applied so far.
    public var step: Int = 0
    /// Rows of the train split, and rows per block of its epoch order: a resume checks that
    /// the data still cuts the same way (0 blocks: a format-1 checkpoint, which did not say).
    public var trainRows: Int
    public var blockRows: Int
    /// A format-1 checkpoint taken mid-epoch stored that epoch's order: the rest of that epoch
    /// runs in it, later epochs in the new order. nil otherwise.
    public var legacyOrder: [Int]?
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

    public init(rowCount: Int, blockRows: Int, generatorState: [UInt64]) {
        trainRows = rowCount
        self.blockRows = blockRows
        self.generatorState = generatorState
    }

    public var samplesSeen: Int {
        history.count * trainRows + position
    }

    /// Training samples per second of training time (evaluation and checkpoints excluded).
    public var samplesPerSecond: Double {
        trainingSeconds > 0 ? Double(samplesSeen) / trainingSeconds : 0
    }
}

/// The figures of one finished epoch, as the progress line and the metrics history show them.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double?
    /// nil without validation data.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// nil when the test split is evaluated only at the end (`training.test_every_epoch`).
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var learningRate: Double
    /// Wall time of the epoch, evaluation included.
    public var seconds: Double

    public init(epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double?,
                validationLoss: Double? = nil, validationAccuracy: Double? = nil, testLoss: Double?,
                testAccuracy: Double?, learningRate: Double, seconds: Double) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
    }

    /// The value `monitor` reads from this epoch, nil when it was not measured.
    public func value(of monitor: ModelSelection.Monitor) -> Double? {
        switch monitor {
        case .validationLoss: return validationLoss
        case .validationAccuracy: return validationAccuracy
        }
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, seconds
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy"
        case validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
        case testLoss = "test_loss", testAccuracy = "test_accuracy"
        case learningRate = "learning_rate"
    }
}
