import Foundation
import ShardCore
import ShardTestSupport
import Testing
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardData
@testable import ShardTraining

/// Streaming a split through the reader gives, bit for bit, the run that loaded it whole:
/// for any worker count, and across a kill and resume.
struct StreamingTests {
    static let data = Result { try writeByteImages() }

    func trainer(_ overrides: [String], runDirectory: String? = nil) throws -> Trainer {
        let experiment = try ExperimentLoader.load(
            text: "", name: "stream", source: "test",
            overrides: ["data.path=\"\(try Self.data.get())\"", "model.hidden=[16]", "optimizer.name=momentum",
                        "optimizer.learning_rate=0.05", "training.batch_size=32", "training.epochs=2",
                        "training.shard_rows=8", "data.shuffle_window=400",
                        "output.model=\"\(temporaryPath("model.h5"))\""] + overrides)
        return try Trainer(experiment: experiment, data: try PreparedData.load(experiment),
                           checkpoints: runDirectory.map { CheckpointStore(runDirectory: $0, experiment: experiment) })
    }

    static let memoryRun = Result { () throws -> ([Float], [EpochRecord]) in
        let trainer = try StreamingTests().trainer(["data.loading=\"memory\"", "training.workers=1"])
        #expect(trainer.data.loading == .memory)
        _ = try trainer.run()
        return (trainer.parameters.array, trainer.state.history)
    }

    @Test func layoutCutsTheSplitIntoChunkAlignedBlocks() throws {
        let layout = try DatasetFile(path: try Self.data.get()).layout(split: "train")
        #expect(layout.blockRows == 352 && layout.featureKind == .uint8 && layout.labelLimit == 3)
        let memory = try DatasetFile(path: try Self.data.get()).load(split: "train")
        #expect(memory.storesBytes)  // uint8 stays uint8
    }

    @Test(arguments: [1, 2, 3])
    func streamedEqualsLoadedBitForBit(workers: Int) throws {
        let (weights, history) = try Self.memoryRun.get()
        // A 1 MB budget: auto streams; windows of one 352-row block.
        let streamed = try trainer(["data.memory_budget_mb=1", "training.workers=\(workers)"])
        #expect(streamed.data.loading == .stream)
        _ = try streamed.run()
        #expect(try #require(streamed.trainFeed).isStreaming)
        #expect(streamed.parameters.array == weights, "streamed weights differ with \(workers) workers")
        #expect(streamed.state.history.map(\.trainLoss) == history.map(\.trainLoss))
        #expect(streamed.state.history.map(\.testLoss) == history.map(\.testLoss))
        #expect(try #require(history.last?.testAccuracy) > 0.9)
    }

    /// Dropout masks are keyed on train rows, not on where a row sits in memory or in the ring.
    @Test func withDropoutStreamedEqualsLoadedBitForBit() throws {
        let dropout = ["model.dropout=0.3", "training.epochs=1"]
        let loaded = try trainer(dropout + ["data.loading=\"memory\"", "training.workers=1"])
        _ = try loaded.run()
        let streamed = try trainer(dropout + ["data.loading=\"stream\"", "training.workers=2"])
        _ = try streamed.run()
        #expect(streamed.parameters.array == loaded.parameters.array)
        let plain = try trainer(["training.epochs=1", "data.loading=\"memory\"", "training.workers=1"])
        _ = try plain.run()
        #expect(plain.parameters.array != loaded.parameters.array)  // the masks did something
    }

    @Test func aStreamedRunStoppedAndResumedEqualsTheStraightOne() throws {
        let (weights, history) = try Self.memoryRun.get()
        let runDirectory = temporaryPath("stream-resume")
        let overrides = ["data.loading=\"stream\"", "checkpoint.every_steps=10", "training.workers=2"]
        let first = try trainer(overrides, runDirectory: runDirectory)
        _ = RecordingObserver(first) { $0.state.step >= 97 ? SIGTERM : nil }  // mid-epoch 2, mid-window
        #expect(throws: TrainingError.self) { try first.run() }
        let checkpoint = try CheckpointStore(runDirectory: runDirectory, everySteps: 10, everyEpochs: 1, keep: 3)
            .newestValid { Issue.record("unexpected warning: \($0)") }
        #expect(checkpoint.state.step == 97 && checkpoint.state.epoch == 2 && checkpoint.state.legacyOrder == nil)
        for (mode, workers) in [("stream", 3), ("memory", 1)] {
            let second = try trainer(["data.loading=\"\(mode)\"", "training.workers=\(workers)"], runDirectory: runDirectory)
            try second.restore(from: checkpoint)
            _ = try second.run()
            #expect(second.parameters.array == weights, "resumed (\(mode)) weights differ")
            #expect(second.state.history.map(\.testLoss) == history.map(\.testLoss))
        }
    }

    @Test func theReaderKeepsAheadAndReportsItsWaits() throws {
        let streamed = try trainer(["data.loading=\"stream\"", "training.epochs=1"])
        _ = try streamed.run()
        let reader = try #require(streamed.trainFeed?.reader)
        // 7 windows: at most the first few can find the reader behind on a busy machine.
        #expect(reader.waits.count <= 7)
        #expect(reader.memoryBytes < 4 << 20)
    }

    @Test func aFileTruncatedMidEpochIsADataErrorNamingTheRows() throws {
        let copy = temporaryPath("truncated.h5")
        try FileManager.default.copyItem(atPath: try Self.data.get(), toPath: copy)
        let experiment = try ExperimentLoader.load(
            text: "", name: "stream", source: "test",
            overrides: ["data.path=\"\(copy)\"", "model.hidden=[16]", "training.batch_size=32",
                        "training.epochs=1", "data.shuffle_window=400", "data.loading=\"stream\"",
                        "output.model=\"\(temporaryPath("model.h5"))\""])
        let trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
        _ = RecordingObserver(trainer) { trainer in
            if trainer.state.step == 2 { truncate(copy, 200_000) }
            return nil
        }
        do {
            _ = try trainer.run()
            Issue.record("training on a truncated file succeeded")
        } catch let error as DataError {
            guard case .readFailed(let file, let object, let rows, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(file == copy && object == "/train/x" && !rows.isEmpty)
            #expect(error.description.contains("reading rows \(rows.lowerBound)..<\(rows.upperBound)"))
        }
    }
}
