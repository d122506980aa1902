import Foundation
import ShardCore
import ShardData
import ShardHDF5
import ShardTestSupport
import Testing
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

/// Validation data, model selection by it, early stopping and dropout, through the trainer.
struct ValidationTrainingTests {
    func experiment(_ data: String, _ overrides: [String]) throws -> Experiment {
        try ExperimentLoader.load(
            text: "", name: "validation", source: "test",
            overrides: ["data.path=\"\(data)\"", "model.hidden=[16, 8]", "optimizer.name=adam",
                        "optimizer.learning_rate=0.01", "training.batch_size=24", "training.epochs=4",
                        "output.model=\"\(temporaryPath("model.h5"))\""] + overrides)
    }

    func trainer(_ data: String, _ overrides: [String], runDirectory: String? = nil) throws -> Trainer {
        let setup = try experiment(data, overrides)
        return try Trainer(experiment: setup, data: try PreparedData.load(setup),
                           checkpoints: runDirectory.map { CheckpointStore(runDirectory: $0, experiment: setup) })
    }

    /// Blobs whose `validation` split holds blob points of which one in `wrongEvery` (by
    /// groups of three rows) is labelled as the next class: once the model is confident, the
    /// more confident it gets the worse its validation loss, so early stopping has something
    /// to stop.
    func blobsWithMisleadingValidation(rows: Int = 60, wrongEvery: Int = 5) throws -> String {
        let path = try writeBlobs()
        let root = try HDF5File.open(path, mode: .readWrite).root
        let group = try root.createGroup("validation")
        var generator = RandomGenerator(seed: 17)
        var x: [Float] = [], y: [Int32] = []
        for row in 0..<rows {
            let label = row % 3
            y.append(Int32((row / 3) % wrongEvery == 0 ? (label + 1) % 3 : label))
            x += (0..<4).map { Float(($0 == label ? 3 : 0) + generator.nextGaussian()) }
        }
        try group.createDataset("x", shape: [rows, 4], values: x)
        try group.createDataset("y", shape: [rows], values: y)
        return path
    }

    @Test func heldOutRowsAreDisjointFromTheTrainingRowsAndTheSameOnEveryLoad() throws {
        // Each row's first feature is its row number, so the loaded splits tell where they came from.
        let path = temporaryPath("numbered.h5")
        let file = try HDF5File.create(path)
        for (split, rows) in [("train", 200), ("test", 10)] {
            let group = try file.root.createGroup(split)
            try group.createDataset("x", shape: [rows, 2], values: (0..<rows).flatMap { [Float($0), 1] })
            try group.createDataset("y", shape: [rows], values: (0..<rows).map { Int32($0 % 2) })
        }
        let setup = try experiment(path, ["data.validation_fraction=0.15"])
        let data = try PreparedData.load(setup)
        func rows(_ split: DataSplit) -> [Int] { (0..<split.rowCount).map { Int(split.features[$0 * 2]) } }
        let validation = rows(data.validationSplit!), train = rows(data.trainSplit!)
        #expect(validation.count == 30 && train.count == 170)
        #expect(Set(validation).isDisjoint(with: train))
        #expect(Set(validation).union(train) == Set(0..<200))
        #expect(validation == data.heldOutRows)
        #expect(data.validationSplit!.labels == validation.map { Int32($0 % 2) })
        // Another load (a resume, another worker count) holds out the same rows.
        #expect(try PreparedData.load(try experiment(path, ["data.validation_fraction=0.15", "training.workers=3"])).heldOutRows
                == validation)
    }

    @Test func validationFiguresAndWeightsAreTheSameForOneTwoAndThreeWorkersWithDropout() throws {
        let data = try writeBlobs()
        var reference: (weights: [Float], history: [[Double?]])?
        for workers in [1, 2, 3] {
            let run = try trainer(data, ["training.workers=\(workers)", "data.validation_fraction=0.2",
                                         "model.dropout=[0.3, 0.1]", "training.shard_rows=8"])
            _ = try run.run()
            let history = run.state.history.map { [$0.trainLoss, $0.validationLoss, $0.validationAccuracy, $0.testLoss] }
            #expect(history.allSatisfy { $0[1] != nil })
            if let reference {
                #expect(run.parameters.array == reference.weights, "workers \(workers): weights differ")
                #expect(history == reference.history)
            } else {
                reference = (run.parameters.array, history)
            }
        }
    }

    @Test func dropoutRateZeroTrainsBitwiseTheWeightsOfNoDropout() throws {
        let data = try writeBlobs()
        func weights(_ overrides: [String]) throws -> [Float] {
            let run = try trainer(data, overrides)
            _ = try run.run()
            return run.parameters.array
        }
        let plain = try weights([])
        #expect(try weights(["model.dropout=0"]) == plain)
        #expect(try weights(["model.dropout=[0, 0.0]"]) == plain)
        #expect(try weights(["model.dropout=0.2"]) != plain)
    }

    @Test func bestIsChosenByValidationAndTheTestSplitNeverChooses() throws {
        let data = try blobsWithMisleadingValidation()
        let run = try trainer(data, ["data.validation_split=validation", "training.monitor=validation_loss"],
                              runDirectory: temporaryPath("best"))
        let summary = try run.run()
        let history = run.state.history
        let modelFile = try #require(summary.modelFile)
        let best = run.selection.best(history)!
        // The misleading validation split is best early, while the test accuracy keeps rising.
        #expect(best.validationLoss == history.compactMap(\.validationLoss).min())
        #expect(summary.bestEpoch == best.epoch)
        #expect(history.last!.testAccuracy! >= best.testAccuracy!)
        // The model file holds the best epoch's weights, and its test figures are that epoch's.
        #expect(summary.testLoss == best.testLoss && summary.testAccuracy == best.testAccuracy)
        let model = try ModelFile.read(from: modelFile)
        #expect(try Evaluator(network: run.network).evaluate(parameters: model.parameters, on: run.data.testSplit!).loss
                == best.testLoss)
        // The report's best is the same epoch; the kept best checkpoint is that epoch's.
        #expect(summary.best == best && summary.bestEpoch == best.epoch && !summary.stoppedEarly)
        #expect(run.checkpoints!.files().contains { $0.step == best.step })
    }

    @Test func theBestCheckpointMovesWhenValidationImprovesNotWhenOnlyTestDoes() throws {
        let run = try trainer(try writeBlobs(), ["data.validation_fraction=0.1", "checkpoint.keep=1"],
                              runDirectory: temporaryPath("crafted"))
        let store = run.checkpoints!
        var checkpoint = run.makeCheckpoint()
        // Crafted epochs: (validation loss, test accuracy). Epoch 2 improves only on test;
        // epoch 3 improves on validation.
        let epochs: [(Double, Double)] = [(0.5, 0.80), (0.6, 0.95), (0.4, 0.70), (0.45, 0.99)]
        var kept: [[Int]] = []
        for (index, (validationLoss, testAccuracy)) in epochs.enumerated() {
            checkpoint.state.step = 10 * (index + 1)
            checkpoint.state.history.append(EpochRecord(
                epoch: index + 1, step: checkpoint.state.step, trainLoss: 1, trainAccuracy: 0.5,
                validationLoss: validationLoss, validationAccuracy: 0.5, testLoss: 1, testAccuracy: testAccuracy,
                learningRate: 0.1, seconds: 1))
            try store.save(checkpoint)
            kept.append(store.files().map(\.step))
        }
        #expect(kept == [[10], [10, 20], [30], [30, 40]])
    }

    @Test func earlyStoppingStopsPatienceEpochsAfterTheBestAndKeepsItsWeights() throws {
        let data = try blobsWithMisleadingValidation()
        let common = ["data.validation_split=validation", "training.epochs=12"]
        let run = try trainer(data, common + ["training.early_stopping_patience=2"])
        let summary = try run.run()
        let best = try #require(summary.bestEpoch)
        #expect(summary.stoppedEarly)
        #expect(summary.epochs == best + 2 && summary.epochs < 12)
        // The model file holds the weights of the best epoch: those of a run that ends there
        // (the constant schedule does not depend on the number of epochs).
        let short = try trainer(data, ["data.validation_split=validation", "training.epochs=\(best)"])
        _ = try short.run()
        #expect(try ModelFile.read(from: summary.modelFile!).parameters.array == short.parameters.array)
        // Without early stopping the same run goes on to the last epoch.
        #expect(try trainer(data, common).run().epochs == 12)
    }

    @Test(arguments: [5, 30, 45])
    func aKilledAndResumedRunStopsAtTheSameEpochWithTheSameWeights(stopAfterStep: Int) throws {
        // 300 rows in batches of 24: 13 steps an epoch. The run is best after epoch 2 and
        // stops after epoch 4 (step 52); killed in epochs 1, 3 and 4.
        let data = try blobsWithMisleadingValidation()
        let overrides = ["data.validation_split=validation", "training.epochs=12", "training.early_stopping_patience=2",
                         "checkpoint.every_steps=4", "model.dropout=0.2", "schedule.name=cosine"]
        let straight = try trainer(data, overrides, runDirectory: temporaryPath("straight"))
        let expected = try straight.run()

        let runDirectory = temporaryPath("killed")
        let first = try trainer(data, overrides + ["training.workers=2"], runDirectory: runDirectory)
        _ = RecordingObserver(first) { $0.state.step >= stopAfterStep ? SIGKILL : nil }
        #expect(throws: TrainingError.self) { try first.run() }
        let checkpoint = try CheckpointStore(runDirectory: runDirectory, everySteps: 4, everyEpochs: 1, keep: 3)
            .newestValid { Issue.record("unexpected warning: \($0)") }
        let second = try trainer(data, overrides + ["training.workers=3"], runDirectory: runDirectory)
        try second.restore(from: checkpoint)
        let summary = try second.run()
        #expect(expected.stoppedEarly && expected.epochs < 12 && expected.bestEpoch! > 1)
        #expect(summary.epochs == expected.epochs && summary.bestEpoch == expected.bestEpoch)
        #expect(summary.stoppedEarly == expected.stoppedEarly)
        #expect(second.parameters.array == straight.parameters.array)
        #expect(try ModelFile.read(from: summary.modelFile!).parameters.array
                == ModelFile.read(from: expected.modelFile!).parameters.array)
        #expect(second.state.history.map(\.validationLoss) == straight.state.history.map(\.validationLoss))
    }

    @Test func aRunThatAlreadyStoppedEarlyEndsAtOnceOnResume() throws {
        let data = try blobsWithMisleadingValidation()
        let overrides = ["data.validation_split=validation", "training.epochs=12", "training.early_stopping_patience=1"]
        let runDirectory = temporaryPath("stopped")
        let first = try trainer(data, overrides, runDirectory: runDirectory)
        let expected = try first.run()
        #expect(expected.stoppedEarly)
        let checkpoint = try CheckpointStore(runDirectory: runDirectory, everySteps: 0, everyEpochs: 1, keep: 3)
            .newestValid { _ in }
        let second = try trainer(data, overrides, runDirectory: runDirectory)
        try second.restore(from: checkpoint)
        let summary = try second.run()
        #expect(summary.epochs == expected.epochs && summary.steps == expected.steps)
        #expect(try ModelFile.read(from: summary.modelFile!).parameters.array
                == ModelFile.read(from: expected.modelFile!).parameters.array)
    }

    @Test func testEveryEpochFalseMeasuresTheTestSplitOnceAtTheEnd() throws {
        let run = try trainer(try writeBlobs(), ["data.validation_fraction=0.1", "training.test_every_epoch=false"])
        let summary = try run.run()
        #expect(run.state.history.allSatisfy { $0.testLoss == nil && $0.testAccuracy == nil })
        #expect(summary.testAccuracy != nil && summary.testLoss?.isFinite == true)
    }

    @Test func badValuesAreOneLineErrorsNamingTheKey() throws {
        let data = try writeBlobs()
        for (override, key) in [("model.dropout=1", "model.dropout"), ("model.dropout=-0.1", "model.dropout"),
                                ("model.dropout=[0.1]", "model.dropout"),
                                ("data.validation_fraction=1", "data.validation_fraction"),
                                ("training.monitor=val_loss", "training.monitor"),
                                ("training.early_stopping_patience=3", "training.early_stopping_patience"),
                                ("training.early_stopping_min_delta=-1", "training.early_stopping_min_delta")] {
            var patience: [String] = []
            if key == "training.early_stopping_min_delta" { patience = ["data.validation_fraction=0.1"] }
            #expect {
                try experiment(data, [override] + patience)
            } throws: { error in
                let message = (error as? ExperimentError)?.description ?? ""
                return message.contains(key) && !message.contains("\n")
            }
        }
        // Both kinds of validation data at once.
        #expect(throws: ExperimentError.self) {
            try experiment(data, ["data.validation_fraction=0.1", "data.validation_split=validation"])
        }
        // Data errors: a fraction that leaves no training rows, a missing or too-narrow split.
        #expect { try PreparedData.load(try experiment(data, ["data.validation_fraction=0.999"])) } throws: { error in
            (error as? DataError)?.description.contains("no rows to train on") == true
        }
        #expect { try PreparedData.load(try experiment(data, ["data.validation_split=validation"])) } throws: { error in
            guard case .missingSplit(_, "validation", _)? = error as? DataError else { return false }
            return true
        }
        let narrow = try writeBlobs()
        let group = try HDF5File.open(narrow, mode: .readWrite).root.createGroup("validation")
        try group.createDataset("x", shape: [2, 3], values: [Float](repeating: 0, count: 6))
        try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        #expect { try PreparedData.load(try experiment(narrow, ["data.validation_split=validation"])) } throws: { error in
            guard case .widthMismatch(_, "/validation/x", 3, 4, _)? = error as? DataError else { return false }
            return true
        }
    }
}
