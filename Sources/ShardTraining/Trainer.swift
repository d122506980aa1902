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
    public private(set) var modelTest: Evaluator.Result?
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
    public private(set) var trainFeed: RowFeed?
    public private(set) var validationFeed: RowFeed?
    public private(set) var testFeed: RowFeed?
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

    /// Bytes the data takes in memory: both splits when loaded, else the readers' rings.
    public var dataMemoryBytes: Int {
        if data.loading == .memory {
            return data.train.memoryBytes + data.test.memoryBytes + (data.validation?.memoryBytes ?? 0)
        }
        return [trainFeed, validationFeed, testFeed].compactMap { $0?.reader?.memoryBytes }.reduce(0, +)
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

    /// Writes the model file: with validation data the best epoch's weights (whether or not
    /// the run stopped early), without it the last. Its test figures are measured once, on
    /// those weights (an epoch that has its own test figures has these very numbers).
    private func writeModel() throws {
        guard let last = state.history.last else { return }
        let best = selection.best(state.history)
        let chosen = best ?? last
        let weights = best == nil ? parameters : bestParameters!
        let test = try chosen.testLoss.map { Evaluator.Result(loss: $0, accuracy: chosen.testAccuracy) }
            ?? evaluator.evaluate(parameters: weights, feed: makeFeeds().test)
        modelTest = test
        var metrics = ModelFile.metrics(of: chosen)
        metrics["test_loss"] = test.loss
        metrics["test_accuracy"] = test.accuracy
        // One file however many ranks: rank 0 writes it.
        guard isWriter else { return }
        try modelFile(parameters: weights).write(to: modelPath, metrics: metrics)
    }

    /// Clears the sums of a new epoch (its order is `EpochOrder`'s, a function of the epoch).
    private func beginEpoch() {
        state.epochLossSum = 0
        state.epochCorrect = 0
    }

    /// The feeds of this run's train, validation and test rows, made once; a stream reads ahead
    /// from the run's position.
    private func makeFeeds() throws -> (train: RowFeed, validation: RowFeed?, test: RowFeed) {
        if let trainFeed, let testFeed { return (trainFeed, validationFeed, testFeed) }
        if state.legacyOrder != nil, data.trainSplit == nil {
            throw CheckpointError.badCheckpoint(
                path: checkpoints?.runDirectory ?? "checkpoint",
                reason: "it was written by a version that stored the epoch's order (format 1 or 2) mid-epoch, and only memory loading can replay that order; resume with --set data.loading=memory")
        }
        let train = try data.trainFeed(experiment, maxRows: experiment.batchSize, epoch: state.epoch, position: state.position)
        let test = try data.evaluationFeed(data.test, split: data.testSplit, maxRows: Evaluator.chunkRows)
        validationFeed = try data.validation.map { (layout) throws(DataError) in
            try data.evaluationFeed(layout, split: data.validationSplit, maxRows: Evaluator.chunkRows)
        }
        trainFeed = train
        testFeed = test
        return (train, validationFeed, test)
    }

    /// One update from the rows `indices` of `split` (the next positions of the epoch); the
    /// position and sums advance.
    private func trainStep(indices: UnsafeBufferPointer<Int>, rows identities: UnsafeBufferPointer<Int>,
                           from split: DataSplit, learningRate: Float) throws(TrainingError) {
        let rows = indices.count
        // On ranks, each rank's stop request travels with the step's loss sums, so every rank
        // learns of a signal any of them received after the same step.
        let stopRequest = group == nil ? 0 : localStopRequest() ?? 0
        let sums = step(indices: indices, rows: identities, from: split, learningRate: learningRate,
                        stopRequest: stopRequest)
        guard sums.lossSum.isFinite else {
            throw .diverged(step: state.step + 1, epoch: state.epoch, loss: sums.lossSum / Double(rows),
                            learningRate: learningRate)
        }
        state.step += 1
        state.position += rows
        state.epochLossSum += sums.lossSum
        state.epochCorrect += sums.correct
    }

    /// Evaluates the finished epoch on the validation split, which chooses, and (each epoch, or
    /// only at the end: `training.test_every_epoch`) on the test split, which is only
    /// recorded; keeps the weights when the epoch is the best so far; records it in the
    /// history. The evaluation's time is not training time.
    private func evaluateEpoch(learningRate: Float, started: ContinuousClock.Instant,
                               timer: inout RunTimer) throws -> EpochRecord {
        guard parameters.isFinite else {
            throw TrainingError.diverged(step: state.step, epoch: state.epoch, loss: .nan, learningRate: learningRate)
        }
        let feeds = try makeFeeds()
        let validation = try feeds.validation.map { (feed) throws(DataError) in try evaluator.evaluate(parameters: parameters, feed: feed) }
        let test = experiment.testEveryEpoch ? try evaluator.evaluate(parameters: parameters, feed: feeds.test) : nil
        timer.skip()
        for loss in [validation?.loss, test?.loss].compactMap({ $0 }) where !loss.isFinite {
            throw TrainingError.diverged(step: state.step, epoch: state.epoch, loss: loss, learningRate: learningRate)
        }
        let count = Double(data.train.rowCount)
        let record = EpochRecord(
            epoch: state.epoch, step: state.step, trainLoss: state.epochLossSum / count,
            trainAccuracy: data.isClassification ? Double(state.epochCorrect) / count : nil,
            validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
            testLoss: test?.loss, testAccuracy: test?.accuracy, learningRate: Double(learningRate),
            seconds: (timer.now - started).totalSeconds)
        state.history.append(record)
        state.epoch += 1
        state.position = 0
        if let bestParameters, selection.standing(state.history).best == state.history.count - 1 {
            bestParameters.copy(from: parameters)
        }
        state.legacyOrder = nil
        return record
    }

    /// Saves a checkpoint and throws `interrupted` when an observer asks to stop.
    private func stopIfRequested(timer: inout RunTimer) throws {
        let agreed = engine.agreedStopRequest
        guard let signal = group == nil ? localStopRequest() : agreed == 0 ? nil : agreed else { return }
        var path = lastSaved.flatMap { $0.step == state.step ? $0.path : nil }
        if path == nil { path = try saveCheckpoint(timer: &timer) }
        throw TrainingError.interrupted(signal: signal, checkpoint: path ?? "(no run directory)",
                                        runDirectory: checkpoints?.runDirectory ?? "")
    }

    /// The first observer's stop request (a signal number), or nil.
    private func localStopRequest() -> Int32? {
        observers.lazy.compactMap { $0.stopRequested() }.first
    }

    /// One update from the rows `indices` of `split`, which are the train rows `rows` (what
    /// keys their dropout masks; the same as `indices` when `split` is the train split in
    /// memory): gradients on all workers, the fixed-order average, the optimizer. A non-finite
    /// loss leaves the weights untouched.
    @discardableResult
    public func step(indices: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>, from split: DataSplit,
                     learningRate: Float, stopRequest: Int32 = 0) -> ShardOutcome {
        work.split = split
        work.indices = indices
        work.rowIdentities = rows
        work.learningRate = learningRate
        work.step = state.step
        let sums = engine.step(shardCount: work.shardCount(rows: indices.count), rowCount: indices.count,
                               stopRequest: stopRequest)
        if sums.lossSum.isFinite { optimizer.finishStep() }
        work.indices = UnsafeBufferPointer(start: nil, count: 0)
        return sums
    }

    /// One update from the train rows `indices` (memory loading: rows of the split).
    @discardableResult
    public func step(indices: ArraySlice<Int>, learningRate: Float) -> ShardOutcome {
        precondition(data.trainSplit != nil, "Trainer.step(indices:) needs the train split in memory (data.loading = memory)")
        return indices.withUnsafeBufferPointer { step(indices: $0, rows: $0, from: data.trainSplit!, learningRate: learningRate) }
    }

    /// The mean gradient of the train rows `indices` into `gradient`, without an update;
    /// returns the batch's loss sum and correct count (memory loading).
    func computeGradient(indices: ArraySlice<Int>) -> ShardOutcome {
        indices.withUnsafeBufferPointer { pointer in
            work.split = data.trainSplit
            work.indices = pointer
            work.rowIdentities = pointer
            defer { work.indices = UnsafeBufferPointer(start: nil, count: 0) }
            return engine.step(shardCount: work.shardCount(rows: pointer.count), rowCount: pointer.count,
                               applyUpdate: false)
        }
    }
}
