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
    /// Called after each epoch with that epoch's figures.
    public var progress: ((EpochReport) -> Void)?

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
    }

    public var stepsPerEpoch: Int {
        (data.train.rowCount + experiment.batchSize - 1) / experiment.batchSize
    }

    public func run() throws(TrainingError) -> TrainingSummary {
        let clock = ContinuousClock()
        let runStart = clock.now
        var trainingTime = Duration.zero
        let schedule = experiment.schedule(stepsPerEpoch: stepsPerEpoch)
        let train = data.train
        var step = 0
        var lastTrain = (loss: 0.0, accuracy: Double?.none)
        var lastTest = Evaluator.Result(loss: 0, accuracy: nil)
        var order = Array(0..<train.rowCount)
        for epoch in 1...experiment.epochs {
            let epochStart = clock.now
            generator.shuffle(&order)
            var epochOutcome = ShardOutcome()
            var learningRate = schedule.rate(atStep: step)
            var batchStart = 0
            while batchStart < train.rowCount {
                let rows = min(experiment.batchSize, train.rowCount - batchStart)
                learningRate = schedule.rate(atStep: step)
                let sums = self.step(indices: order[batchStart..<(batchStart + rows)],
                                     learningRate: learningRate)
                step += 1
                guard sums.lossSum.isFinite else {
                    throw .diverged(step: step, epoch: epoch, loss: sums.lossSum / Double(rows),
                                    learningRate: learningRate)
                }
                epochOutcome = epochOutcome + sums
                batchStart += rows
            }
            let epochTraining = clock.now - epochStart
            trainingTime += epochTraining
            guard parameters.isFinite else {
                throw .diverged(step: step, epoch: epoch, loss: .nan, learningRate: learningRate)
            }
            lastTest = evaluator.evaluate(parameters: parameters, on: data.test)
            guard lastTest.loss.isFinite else {
                throw .diverged(step: step, epoch: epoch, loss: lastTest.loss, learningRate: learningRate)
            }
            let count = Double(train.rowCount)
            lastTrain = (epochOutcome.lossSum / count,
                         data.isClassification ? Double(epochOutcome.correct) / count : nil)
            progress?(EpochReport(
                epoch: epoch, epochs: experiment.epochs, steps: step, trainLoss: lastTrain.loss,
                trainAccuracy: lastTrain.accuracy, testLoss: lastTest.loss,
                testAccuracy: lastTest.accuracy, learningRate: learningRate,
                samplesPerSecond: count / epochTraining.seconds,
                seconds: (clock.now - epochStart).seconds))
        }
        var metrics = ["test_loss": lastTest.loss, "train_loss": lastTrain.loss]
        if let accuracy = lastTest.accuracy { metrics["test_accuracy"] = accuracy }
        try ModelFile(network: network, parameters: parameters, experimentTOML: experiment.resolvedTOML,
                      classNames: data.classNames)
            .write(to: experiment.modelPath, metrics: metrics)
        return TrainingSummary(
            experiment: experiment.name, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss,
            trainLoss: lastTrain.loss, trainAccuracy: lastTrain.accuracy,
            epochs: experiment.epochs, steps: step, seconds: (clock.now - runStart).seconds,
            samplesPerSecond: Double(train.rowCount * experiment.epochs) / trainingTime.seconds,
            workers: workerCount, shardRows: experiment.shardRows, batchSize: experiment.batchSize, seed: experiment.seed,
            parameters: network.parameterCount, modelFile: experiment.modelPath,
            blasCore: BLAS.coreName)
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
