import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
import Testing
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

/// Stopping and resuming gives, bit for bit, the run that was never interrupted.
struct CheckpointTests {
    func trainer(_ data: String, runDirectory: String, _ overrides: [String] = []) throws -> Trainer {
        let experiment = try ExperimentLoader.load(
            text: "", name: "resume", source: "test",
            overrides: ["data.path=\"\(data)\"", "model.hidden=[16, 8]", "optimizer.name=adam",
                        "optimizer.learning_rate=0.01", "training.batch_size=24", "training.epochs=3",
                        "schedule.name=cosine", "schedule.warmup_steps=5",
                        "checkpoint.every_steps=4"] + overrides)
        return try Trainer(experiment: experiment, data: try PreparedData.load(experiment),
                           checkpoints: CheckpointStore(runDirectory: runDirectory, experiment: experiment))
    }

    /// Runs until `stopAfterStep`, as if a signal came then; returns the saved checkpoint path.
    func interruptedRun(_ data: String, runDirectory: String, stopAfterStep: Int, workers: Int) throws -> String {
        let first = try trainer(data, runDirectory: runDirectory, ["training.workers=\(workers)"])
        _ = RecordingObserver(first) { $0.state.step >= stopAfterStep ? SIGTERM : nil }
        do {
            _ = try first.run()
        } catch {
            guard case TrainingError.interrupted(SIGTERM, let checkpoint, runDirectory) = error else {
                throw error
            }
            return checkpoint
        }
        Issue.record("the run was not interrupted")
        return ""
    }

    func resumed(_ data: String, runDirectory: String, workers: Int) throws -> Trainer {
        let checkpoint = try CheckpointStore(runDirectory: runDirectory, everySteps: 4, everyEpochs: 1, keep: 3)
            .newestValid { Issue.record("unexpected warning: \($0)") }
        let trainer = try trainer(data, runDirectory: runDirectory, ["training.workers=\(workers)"])
        try trainer.restore(from: checkpoint)
        return trainer
    }

    // 300 rows in batches of 24: 13 steps an epoch, the last one short.
    @Test(arguments: [(7, 1, 1), (7, 2, 1), (13, 1, 2), (30, 2, 3)])
    func resumedRunEqualsTheUninterruptedOneBitForBit(stopAfter: Int, workersBefore: Int, workersAfter: Int) throws {
        let data = try writeBlobs()
        let straight = try trainer(data, runDirectory: temporaryPath("straight"))
        let expected = try straight.run()

        let runDirectory = temporaryPath("resumed")
        let checkpoint = try interruptedRun(data, runDirectory: runDirectory, stopAfterStep: stopAfter,
                                            workers: workersBefore)
        #expect(checkpoint.hasSuffix("step-\(String(repeating: "0", count: 9 - String(stopAfter).count))\(stopAfter).h5"))
        let second = try resumed(data, runDirectory: runDirectory, workers: workersAfter)
        #expect(second.state.step == stopAfter)
        let summary = try second.run()
        #expect(second.parameters.array == straight.parameters.array, "weights differ after resuming at step \(stopAfter)")
        // Every figure of every epoch, all but the wall time.
        func figures(_ trainer: Trainer) -> [[Double?]] {
            trainer.state.history.map { [Double($0.epoch), Double($0.step), $0.trainLoss, $0.trainAccuracy,
                                         $0.testLoss, $0.testAccuracy, $0.learningRate] }
        }
        #expect(figures(second) == figures(straight))
        #expect(summary.steps == expected.steps && summary.epochs == expected.epochs)
        #expect(summary.trainLoss == expected.trainLoss && summary.testLoss == expected.testLoss)
        #expect(second.optimizer.slots.map(\.array) == straight.optimizer.slots.map(\.array))
    }

    @Test func checkpointRoundTripsEveryField() throws {
        let data = try writeBlobs()
        let runDirectory = temporaryPath("roundtrip")
        _ = try interruptedRun(data, runDirectory: runDirectory, stopAfterStep: 17, workers: 2)
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 4, everyEpochs: 1, keep: 3)
        let read = try store.newestValid { _ in }
        #expect(read.state.step == 17 && read.state.epoch == 2 && read.state.position == 4 * 24)
        #expect(read.state.history.count == 1)
        #expect(read.slots.map(\.name) == ["first_moment", "second_moment"])
        #expect(read.optimizerSteps == 17)
        #expect(read.model.experimentName == "resume")
        // h5py-style access: the documented paths exist with the documented shapes.
        let root = try HDF5File.open(store.path(forStep: 17)).root
        #expect(try root.stringAttribute("format") == "shardtrain-checkpoint")
        #expect(try root.integerAttribute("version") == Checkpoint.version)
        #expect(try root.group("model/dense0").dataset("weight").shape == [4, 16])
        #expect(try root.group("optimizer/first_moment/dense1").dataset("bias").shape == [8])
        // Format 2 stores no order table: the order is a function of (seed, epoch, rows, blocks).
        #expect(!(try root.group("training")).contains("order"))
        #expect(try root.group("training").integerAttribute("train_rows") == 300)
        #expect(try root.group("training").integerAttribute("block_rows") == 300)
        #expect(try root.group("metrics").dataset("test_accuracy").shape == [1])
    }

    @Test func keepsTheNewestAndTheBestByValidation() throws {
        let data = try writeBlobs()
        let runDirectory = temporaryPath("keep")
        let run = try trainer(data, runDirectory: runDirectory, ["checkpoint.keep=2", "training.epochs=4",
                                                                  "data.validation_fraction=0.1"])
        _ = try run.run()
        let files = try #require(run.checkpoints).files()
        // 270 train rows, 12 steps an epoch: checkpoints every 4 steps, the epochs ending at
        // 12, 24, 36, 48; the newest two are 44 and 48, and one more when the best epoch by
        // validation is another.
        let best = try #require(run.selection.best(run.state.history))
        #expect(files.suffix(2).map(\.step) == [44, 48])
        #expect(files.contains { $0.step == best.step })
        #expect(files.count == (best.step == 48 ? 2 : 3))
    }

    @Test func withoutValidationNoCheckpointIsKeptAsBest() throws {
        let run = try trainer(try writeBlobs(), runDirectory: temporaryPath("keep"),
                              ["checkpoint.keep=2", "training.epochs=4"])
        _ = try run.run()
        #expect(try #require(run.checkpoints).files().map(\.step) == [48, 52])
    }
}

/// Checkpoints written before version 2 (no validation columns, no /best_model) still read, as
/// runs without validation data.
struct CheckpointVersionTests {
    @Test func aVersionOneCheckpointStillReads() throws {
        let checkpoint = try Checkpoint.read(from: "\(fixtures)/checkpoint-version-1.h5")
        #expect(checkpoint.bestParameters == nil)
        #expect(!checkpoint.state.history.isEmpty)
        #expect(checkpoint.state.history.allSatisfy { $0.validationLoss == nil && $0.testLoss != nil })
        #expect(try ModelFile.read(from: "\(fixtures)/checkpoint-version-1.h5").network == checkpoint.model.network)
    }
}
