import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
import Testing
@testable import ShardData
@testable import ShardNetwork
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

struct TrainerTests {
    func experiment(_ data: String, _ overrides: [String] = []) throws -> Experiment {
        try ExperimentLoader.load(
            text: "", name: "blobs", source: "test",
            overrides: ["data.path=\"\(data)\"", "model.hidden=[16]", "training.epochs=5",
                        "training.batch_size=32", "optimizer.learning_rate=0.1",
                        "output.model=\"\(temporaryPath("model.h5"))\""] + overrides)
    }

    @Test func learnsSeparableBlobs() throws {
        let data = try writeBlobs()
        let trainer = try Trainer(experiment: try experiment(data), data: try PreparedData.load(try experiment(data)))
        let observer = RecordingObserver(trainer)
        let summary = try trainer.run()
        let reports = observer.reports.map(\.record)
        #expect(reports.count == 5)
        #expect(summary.steps == 5 * 10)  // 300 rows / 32 = 9 full batches + 1 short
        #expect(summary.testAccuracy! > 0.95)
        #expect(reports.last!.trainLoss < reports.first!.trainLoss)
        #expect(FileManager.default.fileExists(atPath: try #require(summary.modelFile)))
    }

    @Test(arguments: ["tanh", "sigmoid"])
    func otherActivationsAndMSELearnToo(activation: String) throws {
        let data = try writeBlobs()
        for loss in ["cross_entropy", "mse"] {
            let setup = try experiment(data, ["model.activation=\(activation)", "model.loss=\(loss)",
                                              "training.epochs=15", "optimizer.name=momentum"])
            let summary = try Trainer(experiment: setup, data: try PreparedData.load(setup)).run()
            #expect(summary.testAccuracy! > 0.9, "\(activation) / \(loss): \(summary.testAccuracy!)")
        }
    }

    @Test func sameSeedSameWeightsOtherSeedOtherWeights() throws {
        let data = try writeBlobs()
        func weights(_ seed: Int) throws -> [Float] {
            let setup = try experiment(data, ["training.seed=\(seed)", "training.epochs=2"])
            let trainer = try Trainer(experiment: setup, data: try PreparedData.load(setup))
            _ = try trainer.run()
            return trainer.parameters.array
        }
        #expect(try weights(3) == weights(3))
        #expect(try weights(3) != weights(4))
    }

    @Test func shortLastBatchIsAveragedOverItsOwnRows() throws {
        let data = try writeBlobs()
        let setup = try experiment(data, ["training.batch_size=4"])
        let trainer = try Trainer(experiment: setup, data: try PreparedData.load(setup))
        // The mean gradient of rows {5, 9} as a batch of 2 ...
        _ = trainer.computeGradient(indices: [5, 9])
        let batchGradient = trainer.gradient.array
        // ... equals the average of the two single-row gradients.
        var sum = [Float](repeating: 0, count: batchGradient.count)
        for row in [5, 9] {
            _ = trainer.computeGradient(indices: [row])
            for (index, value) in trainer.gradient.array.enumerated() { sum[index] += value }
        }
        for (a, b) in zip(batchGradient, sum) { #expect(abs(a - b / 2) <= 1e-6 * max(1, abs(a))) }
    }

    @Test func batchLargerThanTheSplitIsAnExperimentError() throws {
        let data = try writeBlobs(trainRows: 30)
        let setup = try experiment(data, ["training.batch_size=31"])
        #expect(throws: ExperimentError.self) { try Trainer(experiment: setup, data: try PreparedData.load(setup)) }
    }

    @Test func divergenceStopsWithTheStep() throws {
        let data = try writeBlobs()
        let setup = try experiment(data, ["optimizer.learning_rate=1e30", "model.loss=mse"])
        let trainer = try Trainer(experiment: setup, data: try PreparedData.load(setup))
        let outcome = runCatching(trainer)
        guard case .failure(.diverged(let step, _, _, _)) = outcome else {
            Issue.record("a learning rate of 1e30 should diverge, got \(outcome)")
            return
        }
        #expect(step >= 1 && step <= 50)
        #expect(!FileManager.default.fileExists(atPath: trainer.modelPath))
    }

    @Test func testLabelsBeyondTheClassCountAreRefused() throws {
        let path = temporaryPath("labels.h5")
        let file = try HDF5File.create(path)
        try file.root.setAttribute("classes", ["a", "b"])
        for (split, labels) in [("train", [Int32(0), 1]), ("test", [Int32(1), 2])] {
            let group = try file.root.createGroup(split)
            try group.createDataset("x", shape: [2, 1], values: [Float(0), 1])
            try group.createDataset("y", shape: [2], values: labels)
        }
        let setup = try experiment(path, ["training.batch_size=1"])
        #expect(throws: DataError.self) { try PreparedData.load(setup) }
    }

    @Test func modelFileRoundTripsWeightsAndExperiment() throws {
        let data = try writeBlobs()
        let setup = try experiment(data, ["training.epochs=1"])
        let trainer = try Trainer(experiment: setup, data: try PreparedData.load(setup))
        let summary = try trainer.run()
        let model = try ModelFile.read(from: try #require(summary.modelFile))
        #expect(model.network == trainer.network)
        #expect(model.parameters.array == trainer.parameters.array)
        #expect(try ExperimentLoader.load(text: model.experimentTOML, name: "blobs", source: "m").values == setup.values)
        let weight = try HDF5File.open(try #require(summary.modelFile)).root.group("model/dense0").dataset("weight")
        #expect(try weight.shape == [4, 16])
    }
}

func runCatching(_ trainer: Trainer) -> Result<RunReport, TrainingError> {
    do {
        return .success(try trainer.run())
    } catch let error as TrainingError {
        return .failure(error)
    } catch {
        Issue.record("unexpected error \(error)")
        return .success(RunReport(trainer: trainer, status: .failed, modelFile: nil))
    }
}
