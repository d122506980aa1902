import Foundation
import ShardCheckpoint
import ShardConfig
import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// A training run: seeded shuffle per epoch, mini-batches (a short last batch is kept and its
/// gradient divided by its own size), one data-parallel step per batch (gradients of
/// micro-shards on all workers, fixed-order average, optimizer update), evaluation after each
/// epoch on the validation split (which chooses the model and may stop the run early,
/// `ModelSelection`) and, for the record only, on the test split, checkpoints by the
/// experiment's policy. What happens around the run (progress, run-directory files, stop
/// requests) is up to its observers.
public final class Trainer {
    public let experiment: Experiment
    public let data: PreparedData
    public let network: Network
    /// [network.parameterCount], laid out by `network.layout`
    public let parameters: FloatBuffer
    let optimizer: Optimizer
    let batch: MiniBatch
    let work: NetworkShardWork
    let engine: DataParallelEngine
    let evaluator: Evaluator
    /// What "best" means for this run, and when it stops early.
    public let selection: ModelSelection
    /// [network.parameterCount] with validation data: the weights of the best epoch so far.
    let bestParameters: FloatBuffer?
    /// The test split's figures on the model file's weights, measured once the run ends.
    public internal(set) var modelTest: Evaluator.Result?
    /// Threads computing each step (the caller's included).
    public let workerCount: Int
    /// [network.parameterCount], the mean gradient of the last step
    var gradient: FloatBuffer { engine.meanGradient }
    var generator: RandomGenerator
    /// Where the run stands; restored from a checkpoint to resume.
    public internal(set) var state: TrainingState
    /// Where and when checkpoints go; nil writes none.
    public let checkpoints: CheckpointStore?
    /// Told of every step and epoch, and asked after every step whether to stop.
    public var observers: [TrainingObserver] = []
    /// The newest checkpoint this process wrote, so a stop right after one does not write it again.
    var lastSaved: (step: Int, path: String)?
    /// The train and test rows in order, made when the run starts (a stream starts reading
    /// at the position the run continues from).
    public internal(set) var trainFeed: RowFeed?
    public internal(set) var validationFeed: RowFeed?
    public internal(set) var testFeed: RowFeed?
    /// Seconds from the trainer's creation to the end of this process's first step.
    public private(set) var firstStepSeconds: Double?
    private let created: ContinuousClock.Instant
    /// The other ranks of a run on several processes (MPI), nil in one process. Every rank
    /// runs this same loop on the same data and makes the same decisions; rank 0 alone writes
    /// files (`isWriter`).
    public let group: ProcessGroup?
    /// True on the process that writes checkpoints and the model: rank 0, or the only one.
    public var isWriter: Bool { (group?.rank ?? 0) == 0 }

    /// A new run of `experiment` on `data`, its weights initialised from the seed.
    /// On MPI ranks, `group` is the run's process group and `processors` the processors this
    /// rank may use (training.workers = 0 takes one worker per processor).
    public init(experiment: Experiment, data: PreparedData, checkpoints: CheckpointStore? = nil,
                group: ProcessGroup? = nil, processors: Int? = nil) throws(ExperimentError) {
        let batchSize = experiment.batchSize
        guard batchSize <= data.train.rowCount else {
            throw .invalidValue(source: "experiment", key: Keys.batchSize.name, value: String(batchSize),
                                reason: "larger than the \(data.train.rowCount) rows of the train split; use at most \(data.train.rowCount)")
        }
        try Self.checkMemory(experiment: experiment, data: data)
        if experiment.monitor == "validation_accuracy" && data.validation != nil && !data.isClassification {
            throw .invalidValue(source: "experiment", key: Keys.monitor.name, value: "\"validation_accuracy\"",
                                reason: "the data has float targets, which have no accuracy; use validation_loss")
        }
        self.experiment = experiment
        self.data = data
        created = data.loadStarted ?? ContinuousClock.now
        self.checkpoints = checkpoints
        selection = experiment.selection
        self.group = group
        network = data.network(for: experiment)
        bestParameters = data.validation == nil ? nil : FloatBuffer(count: network.parameterCount)
        parameters = FloatBuffer(count: network.parameterCount)
        optimizer = Optimizer(configuration: experiment.optimizer, layout: network.layout)
        batch = MiniBatch(capacity: batchSize, width: data.train.width, targetWidth: data.train.targetWidth ?? 1,
                          isLabelled: data.train.isLabelled)
        let processors = processors ?? ProcessInfo.processInfo.activeProcessorCount
        // Documented clamp: at most one worker per row of a batch.
        workerCount = min(experiment.workers == 0 ? processors : experiment.workers, batchSize)
        work = NetworkShardWork(
            network: network, parameters: parameters, batch: batch, optimizer: optimizer,
            shardRows: experiment.shardRows, workerCount: workerCount, isClassification: data.isClassification,
            dropout: experiment.dropout)
        engine = DataParallelEngine(
            workerCount: workerCount, parameterCount: network.parameterCount,
            maxShards: work.shardCount(rows: batchSize), work: work, processorCount: processors,
            ranks: group.map { [pointer = parameters.pointer] in ($0, pointer) })
        evaluator = Evaluator(network: network)
        generator = RandomGenerator(seed: experiment.seed)
        network.initialize(parameters, scheme: experiment.initialization ?? network.defaultInitialization,
                           generator: &generator)
        state = TrainingState(rowCount: data.train.rowCount, blockRows: data.train.blockRows,
                              generatorState: generator.state)
    }

    public var stepsPerEpoch: Int {
        (data.train.rowCount + experiment.batchSize - 1) / experiment.batchSize
    }

    /// Where the trained model goes: output.model, else model.h5 in the run directory.
    public var modelPath: String {
        experiment.modelPath(runDirectory: checkpoints?.runDirectory)
    }

    /// Trains from `state` to the last epoch and writes the model. Throws `TrainingError` when
    /// the loss diverges or an observer asks to stop (after saving a checkpoint), and the
    /// errors of the files it writes.
    public func run() throws -> RunReport {
        guard state.history.count <= experiment.epochs, state.epoch <= experiment.epochs || !state.history.isEmpty else {
            throw CheckpointError.nothingToResume(
                directory: checkpoints?.runDirectory ?? "",
                reason: "training.epochs (\(experiment.epochs)) is less than the \(state.history.count) epochs already trained; raise it with --set training.epochs=N")
        }
        // The caller's thread computes too (the engine's worker 0) and sets the training
        // floating-point mode; the thread gets its own mode back when the run ends.
        let callersMode = FloatingPointMode.current
        defer { callersMode.restore() }
        let schedule = experiment.schedule(stepsPerEpoch: stepsPerEpoch)
        let rowCount = data.train.rowCount
        let feed = try makeFeeds().train
        if feed.isStreaming, state.epoch <= experiment.epochs, state.position < rowCount {
            // The stream's first window is its loading: it is waited for before the clock
            // starts, as memory loading is, so samples/s compares training alone.
            _ = try feed.indices(pass: state.epoch - 1,
                                 positions: state.position..<min(state.position + experiment.batchSize, rowCount))
        }
        var timer = RunTimer(state: state)
        while state.epoch <= experiment.epochs && !selection.shouldStop(state.history) {
            let epochStart = timer.now
            let rowsBefore = state.position
            if state.position == 0 { beginEpoch() }
            while state.position < rowCount {
                let rows = min(experiment.batchSize, rowCount - state.position)
                let positions = state.position..<(state.position + rows)
                if let legacy = state.legacyOrder {
                    try legacy[positions].withUnsafeBufferPointer { indices in
                        try trainStep(indices: indices, rows: indices, from: data.trainSplit!,
                                      learningRate: schedule.rate(atStep: state.step))
                    }
                } else {
                    let indices = try feed.indices(pass: state.epoch - 1, positions: positions)
                    try trainStep(indices: indices, rows: feed.rowIdentities, from: feed.storage,
                                  learningRate: schedule.rate(atStep: state.step))
                }
                if firstStepSeconds == nil { firstStepSeconds = (ContinuousClock.now - created).totalSeconds }
                for observer in observers { observer.stepEnded(self) }
                if let every = checkpoints?.everySteps, every > 0, state.step % every == 0, state.position < rowCount {
                    try saveCheckpoint(timer: &timer)
                }
                try stopIfRequested(timer: &timer)
            }
            timer.account(into: &state)
            let trainingSeconds = timer.now - epochStart
            // The rate of the epoch's last update (also when a resume starts at the epoch's end).
            let learningRate = schedule.rate(atStep: max(state.step - 1, 0))
            let record = try evaluateEpoch(learningRate: learningRate, started: epochStart, timer: &timer)
            let report = EpochReport(record: record, epochs: experiment.epochs,
                                     samplesPerSecond: Double(rowCount - rowsBefore) / trainingSeconds.totalSeconds,
                                     isBest: selection.best(state.history)?.epoch == record.epoch)
            for observer in observers { try observer.epochEnded(report, trainer: self) }
            if let checkpoints, record.epoch % checkpoints.everyEpochs == 0 || record.epoch == experiment.epochs
                || selection.shouldStop(state.history) {
                try saveCheckpoint(timer: &timer)
            }
            try stopIfRequested(timer: &timer)
        }
        timer.account(into: &state)
        try writeModel()
        return RunReport(trainer: self, status: .completed, modelFile: modelPath)
    }
}
