import Foundation
import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// The training loop: seeded shuffle per epoch, mini-batches (a short last batch is kept and
/// its gradient divided by its own size), one data-parallel step per batch (gradients of
/// micro-shards on all workers, fixed-order average, optimizer update), evaluation on the test
/// split after each epoch.
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
    /// Threads computing each step (the caller's included).
    public let workerCount: Int
    /// [network.parameterCount], the mean gradient of the last step
    var gradient: FloatBuffer { engine.meanGradient }
    var generator: RandomGenerator
    /// Where the run stands; restored from a checkpoint to resume.
    public private(set) var state: TrainingState
    /// Called after each epoch with that epoch's figures.
    public var progress: ((EpochReport) -> Void)?
    /// Called after each epoch's evaluation, before its checkpoint (run-directory files).
    public var epochEnded: ((EpochRecord) throws(TrainingError) -> Void)?
    /// Called after every step (a progress bar throttles itself).
    public var stepEnded: ((TrainingState) -> Void)?
    /// Where and when to write checkpoints; nil writes none.
    public var checkpoints: CheckpointStore?
    /// Checked after every step: the signal number when a stop was requested (SIGINT/SIGTERM).
    public var stopRequest: (() -> Int32?)?

    public init(experiment: Experiment, data: PreparedData) throws(ExperimentError) {
        let batchSize = experiment.batchSize
        guard batchSize <= data.train.rowCount else {
            throw .invalidValue(source: "experiment", key: "training.batch_size",
                                value: String(batchSize),
                                reason: "larger than the \(data.train.rowCount) rows of the train split; use at most \(data.train.rowCount)")
        }
        self.experiment = experiment
        self.data = data
        network = data.network(for: experiment)
        parameters = FloatBuffer(count: network.parameterCount)
        optimizer = Optimizer(configuration: experiment.optimizer, layout: network.layout)
        batch = MiniBatch(capacity: batchSize, split: data.train)
        let processors = ProcessInfo.processInfo.activeProcessorCount
        // Documented clamp: at most one worker per row of a batch.
        workerCount = min(experiment.workers == 0 ? processors : experiment.workers, batchSize)
        work = NetworkShardWork(
            network: network, parameters: parameters, split: data.train, batch: batch,
            optimizer: optimizer,
            shardRows: experiment.shardRows, workerCount: workerCount,
            isClassification: data.isClassification)
        engine = DataParallelEngine(
            workerCount: workerCount, parameterCount: network.parameterCount,
            maxShards: work.shardCount(rows: batchSize), work: work, processorCount: processors)
        evaluator = Evaluator(network: network)
        generator = RandomGenerator(seed: experiment.seed)
        network.initialize(parameters, scheme: experiment.initialization ?? network.defaultInitialization,
                           generator: &generator)
        state = TrainingState(rowCount: data.train.rowCount, generatorState: generator.state)
    }

    public var stepsPerEpoch: Int {
        (data.train.rowCount + experiment.batchSize - 1) / experiment.batchSize
    }

    /// Trains from `state` to the last epoch: checkpoints by `checkpoints`' policy, stops
    /// with a checkpoint when `stopRequest` reports a signal, and writes the model at the end.
    public func run() throws(TrainingError) -> TrainingSummary {
        let clock = ContinuousClock()
        let segmentStart = clock.now
        let wallBefore = state.wallSeconds
        let schedule = experiment.schedule(stepsPerEpoch: stepsPerEpoch)
        let train = data.train
        let rowCount = train.rowCount
        /// Training time not yet added to `state.trainingSeconds` starts here.
        var accounted = clock.now
        func accountTime() {
            let now = clock.now
            state.trainingSeconds += (now - accounted).seconds
            state.wallSeconds = wallBefore + (now - segmentStart).seconds
            accounted = now
        }
        func saveCheckpoint() throws(TrainingError) -> String? {
            guard let checkpoints else { return nil }
            // Never a checkpoint with non-finite weights: the last good one stays the newest.
            guard parameters.isFinite else {
                throw .diverged(step: state.step, epoch: state.epoch, loss: .nan,
                                learningRate: schedule.rate(atStep: max(state.step - 1, 0)))
            }
            accountTime()
            state.generatorState = generator.state
            let path = try checkpoints.save(makeCheckpoint())
            accounted = clock.now
            return path
        }
        func stopIfRequested(checkpoint: String?) throws(TrainingError) {
            guard let signal = stopRequest?() else { return }
            var path = checkpoint
            if path == nil { path = try saveCheckpoint() }
            throw .interrupted(signal: signal, checkpoint: path ?? "(no run directory)",
                               runDirectory: checkpoints?.runDirectory ?? "")
        }

        while state.epoch <= experiment.epochs {
            let epoch = state.epoch
            let epochStart = clock.now
            let rowsBefore = state.position
            if state.position == 0 {
                generator.shuffle(&state.order)
                state.epochLossSum = 0
                state.epochCorrect = 0
            }
            var learningRate = schedule.rate(atStep: state.step)
            while state.position < rowCount {
                let rows = min(experiment.batchSize, rowCount - state.position)
                learningRate = schedule.rate(atStep: state.step)
                let sums = step(indices: state.order[state.position..<(state.position + rows)],
                                learningRate: learningRate)
                guard sums.lossSum.isFinite else {
                    throw .diverged(step: state.step + 1, epoch: epoch, loss: sums.lossSum / Double(rows),
                                    learningRate: learningRate)
                }
                state.step += 1
                state.position += rows
                state.epochLossSum += sums.lossSum
                state.epochCorrect += sums.correct
                stepEnded?(state)
                var saved: String?
                if let every = checkpoints?.everySteps, every > 0, state.step % every == 0,
                   state.position < rowCount {
                    saved = try saveCheckpoint()
                }
                try stopIfRequested(checkpoint: saved)
            }
            let epochTraining = (clock.now - epochStart).seconds
            accountTime()
            // The rate of the epoch's last update (also when a resume starts at the epoch's end).
            learningRate = schedule.rate(atStep: max(state.step - 1, 0))
            guard parameters.isFinite else {
                throw .diverged(step: state.step, epoch: epoch, loss: .nan, learningRate: learningRate)
            }
            let test = evaluator.evaluate(parameters: parameters, on: data.test)
            accounted = clock.now  // evaluation is not training time
            guard test.loss.isFinite else {
                throw .diverged(step: state.step, epoch: epoch, loss: test.loss, learningRate: learningRate)
            }
            let count = Double(rowCount)
            let record = EpochRecord(
                epoch: epoch, step: state.step, trainLoss: state.epochLossSum / count,
                trainAccuracy: data.isClassification ? Double(state.epochCorrect) / count : nil,
                testLoss: test.loss, testAccuracy: test.accuracy, learningRate: Double(learningRate),
                seconds: (clock.now - epochStart).seconds)
            state.history.append(record)
            state.epoch += 1
            state.position = 0
            try epochEnded?(record)
            progress?(EpochReport(
                epoch: epoch, epochs: experiment.epochs, steps: state.step, trainLoss: record.trainLoss,
                trainAccuracy: record.trainAccuracy, testLoss: test.loss, testAccuracy: test.accuracy,
                learningRate: learningRate,
                samplesPerSecond: Double(rowCount - rowsBefore) / epochTraining,
                seconds: record.seconds))
            var saved: String?
            if let checkpoints, epoch % checkpoints.everyEpochs == 0 || epoch == experiment.epochs {
                saved = try saveCheckpoint()
            }
            try stopIfRequested(checkpoint: saved)
        }
        accountTime()
        guard let last = state.history.last else {
            throw .nothingToResume(directory: checkpoints?.runDirectory ?? "",
                                   reason: "training.epochs (\(experiment.epochs)) is not past the epochs already trained; raise it with --set training.epochs=N")
        }
        var metrics = ["test_loss": last.testLoss, "train_loss": last.trainLoss]
        if let accuracy = last.testAccuracy { metrics["test_accuracy"] = accuracy }
        try modelFile().write(to: modelPath, metrics: metrics)
        return TrainingSummary(
            experiment: experiment.name, testAccuracy: last.testAccuracy, testLoss: last.testLoss,
            trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy,
            epochs: state.history.count, steps: state.step, seconds: state.wallSeconds,
            samplesPerSecond: Double(state.samplesSeen) / max(state.trainingSeconds, 1e-9),
            workers: workerCount, shardRows: experiment.shardRows, batchSize: experiment.batchSize,
            seed: experiment.seed, parameters: network.parameterCount, modelFile: modelPath,
            blasCore: BLAS.coreName)
    }

    /// Where the trained model goes: output.model, else model.h5 in the run directory.
    public var modelPath: String {
        experiment.modelPath(runDirectory: checkpoints?.runDirectory)
    }

    func modelFile() -> ModelFile {
        ModelFile(network: network, parameters: parameters, experimentTOML: experiment.resolvedTOML,
                  classNames: data.classNames, experimentName: experiment.name)
    }

    /// Everything needed to continue this run exactly.
    public func makeCheckpoint() -> Checkpoint {
        var state = self.state
        state.generatorState = generator.state
        return Checkpoint(model: modelFile(), optimizerName: experiment.optimizer.kind.rawValue,
                          optimizerSteps: optimizer.stepCount,
                          slots: zip(optimizer.configuration.slotNames, optimizer.slots).map { ($0, $1) },
                          state: state)
    }

    /// Continues from `checkpoint`: weights, optimizer state, position, generator, history.
    public func restore(from checkpoint: Checkpoint) throws(TrainingError) {
        let path = checkpoints?.runDirectory ?? "checkpoint"
        guard checkpoint.model.network == network else {
            throw .badCheckpoint(path: path, reason: "its network \(checkpoint.model.network.layerSizes) differs from the experiment's \(network.layerSizes)")
        }
        guard checkpoint.state.order.count == data.train.rowCount,
              Set(checkpoint.state.order).count == data.train.rowCount,
              checkpoint.state.order.allSatisfy({ (0..<data.train.rowCount).contains($0) }) else {
            throw .badCheckpoint(path: path, reason: "it was trained on \(checkpoint.state.order.count) train rows, the data file now has \(data.train.rowCount); use the same data file")
        }
        let expectedSlots = optimizer.configuration.slotNames
        guard checkpoint.optimizerName == experiment.optimizer.kind.rawValue,
              checkpoint.slots.map(\.name).sorted() == expectedSlots.sorted() else {
            throw .badCheckpoint(path: path, reason: "its optimizer state (\(checkpoint.optimizerName)) does not match optimizer.name = \(experiment.optimizer.kind.rawValue)")
        }
        guard let restored = RandomGenerator(state: checkpoint.state.generatorState) else {
            throw .badCheckpoint(path: path, reason: "invalid generator state")
        }
        parameters.copy(from: checkpoint.model.parameters)
        for (name, buffer) in zip(expectedSlots, optimizer.slots) {
            buffer.copy(from: checkpoint.slots.first { $0.name == name }!.values)
        }
        optimizer.stepCount = checkpoint.optimizerSteps
        state = checkpoint.state
        generator = restored
    }

    /// Starts from another run's weights (a model file or a checkpoint); nothing else of it.
    public func warmStart(from model: ModelFile, path: String) throws(TrainingError) {
        guard model.network.layerSizes == network.layerSizes else {
            throw .badModelFile(path: path, reason: "its layers \(model.network.layerSizes) differ from the experiment's \(network.layerSizes)")
        }
        parameters.copy(from: model.parameters)
    }

    /// One update from the train rows `indices`: gradients on all workers, the fixed-order
    /// average, the optimizer. A non-finite loss leaves the weights untouched.
    @discardableResult
    public func step(indices: ArraySlice<Int>, learningRate: Float) -> ShardOutcome {
        let rows = indices.count
        work.indices = indices
        work.learningRate = learningRate
        let sums = engine.step(shardCount: work.shardCount(rows: rows), rowCount: rows)
        if sums.lossSum.isFinite { optimizer.stepCount += 1 }
        work.indices = []  // hold no reference to the order, so shuffling it never copies
        return sums
    }

    /// The mean gradient of the train rows `indices` into `gradient`, without an update;
    /// returns the batch's loss sum and correct count.
    func computeGradient(indices: ArraySlice<Int>) -> ShardOutcome {
        let rows = indices.count
        work.indices = indices
        return engine.step(shardCount: work.shardCount(rows: rows), rowCount: rows, applyUpdate: false)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
