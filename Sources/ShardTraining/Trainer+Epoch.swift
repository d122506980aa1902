import Foundation
import ShardCheckpoint
import ShardConfig
import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// The parts of an epoch the loop in Trainer.swift calls: its feeds, a step, the evaluation
/// that ends it, and the model file at the end of the run.
extension Trainer {
    /// Writes the model file: with validation data the best epoch's weights (whether or not
    /// the run stopped early), without it the last. Its test figures are measured once, on
    /// those weights (an epoch that has its own test figures has these very numbers).
    func writeModel() throws {
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
    func beginEpoch() {
        state.epochLossSum = 0
        state.epochCorrect = 0
    }

    /// The feeds of this run's train, validation and test rows, made once; a stream reads ahead
    /// from the run's position.
    func makeFeeds() throws -> (train: RowFeed, validation: RowFeed?, test: RowFeed) {
        if let trainFeed, let testFeed { return (trainFeed, validationFeed, testFeed) }
        if state.legacyOrder != nil, data.trainSplit == nil {
            throw CheckpointError.badCheckpoint(
                path: checkpoints?.runDirectory ?? "checkpoint",
                reason: "it was written by a version that stored the epoch's order (format 1 or 2) mid-epoch, and only memory loading can replay that order; resume with --set data.loading=memory")
        }
        let rankRows = group.flatMap { group in
            group.rankCount > 1 ? RankRows(rank: group.rank, rankCount: group.rankCount, batchRows: experiment.batchSize,
                                           shardRows: experiment.shardRows) : nil
        }
        let train = try data.trainFeed(experiment, maxRows: experiment.batchSize, epoch: state.epoch, position: state.position,
                                       rankRows: rankRows)
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
    func trainStep(indices: UnsafeBufferPointer<Int>, rows identities: UnsafeBufferPointer<Int>,
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
    func evaluateEpoch(learningRate: Float, started: ContinuousClock.Instant,
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
}
