import Foundation
import ShardCore
import ShardTestSupport
import Testing
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardData
import ShardEngine
import ShardHDF5
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

    /// `data.validation_fraction` holds out the same rows streamed as in memory: the train
    /// reader reads only the kept rows, the validation reader only the held-out ones, and the
    /// run is bit for bit the one that loaded both.
    @Test func withAValidationFractionStreamedEqualsLoadedBitForBit() throws {
        let fraction = ["data.validation_fraction=0.1", "model.dropout=0.2", "training.epochs=2"]
        let loaded = try trainer(fraction + ["data.loading=\"memory\"", "training.workers=1"])
        _ = try loaded.run()
        #expect(loaded.data.validation?.rowCount == 240 && loaded.data.train.rowCount == 2160)
        for workers in [1, 3] {
            let streamed = try trainer(fraction + ["data.loading=\"stream\"", "training.workers=\(workers)"])
            #expect(streamed.data.trainSplit == nil && streamed.data.heldOutRows == loaded.data.heldOutRows)
            _ = try streamed.run()
            #expect(try #require(streamed.validationFeed).isStreaming)
            #expect(streamed.parameters.array == loaded.parameters.array, "\(workers) workers")
            #expect(streamed.state.history.map(\.validationLoss) == loaded.state.history.map(\.validationLoss))
            #expect(streamed.state.history.map(\.validationAccuracy) == loaded.state.history.map(\.validationAccuracy))
            #expect(streamed.state.history.allSatisfy { $0.validationLoss != nil })
        }
    }

    /// A chunked file whose train row r is [r, r % 7, 1] with label r % 5.
    func numberedRows(_ rows: Int) throws -> String {
        let path = temporaryPath("numbered-stream.h5")
        let file = try HDF5File.create(path)
        for (split, count) in [("train", rows), ("test", 10)] {
            let group = try file.root.createGroup(split)
            try group.createDataset("x", shape: [count, 3],
                                    values: (0..<count).flatMap { [Float($0), Float($0 % 7), 1] }, chunks: [64, 3])
            try group.createDataset("y", shape: [count], values: (0..<count).map { Int32($0 % 5) }, chunks: [64])
        }
        try file.flush()
        return path
    }

    /// On MPI ranks each rank's reader reads the rows of its own micro-shards and no others:
    /// together the ranks read every row of a pass once, and each rank's ring holds the right
    /// row at every position it computes.
    @Test(arguments: [(2, 50, 8), (3, 50, 8), (3, 64, 16), (2, 7, 3)])
    func eachRankReadsOnlyTheRowsOfItsOwnMicroShards(rankCount: Int, batchRows: Int, shardRows: Int) throws {
        let rows = 1000
        let path = try numberedRows(rows)
        let experiment = try ExperimentLoader.load(
            text: "", name: "ranks", source: "test",
            overrides: ["data.path=\"\(path)\"", "data.validation_fraction=0.1", "training.batch_size=\(batchRows)",
                        "data.shuffle_window=192", "training.shard_rows=\(shardRows)", "training.epochs=1"])
        let data = try PreparedData.load(experiment, rankCount: rankCount)
        #expect(data.trainSplit == nil)  // streamed on ranks, whatever data.loading says
        let kept = try #require(data.train.fileRows)
        var readers: [StreamingReader] = []
        var owners = [Int](repeating: -1, count: kept.count)
        for rank in 0..<rankCount {
            let rankRows = RankRows(rank: rank, rankCount: rankCount, batchRows: batchRows, shardRows: shardRows)
            let feed = try data.trainFeed(experiment, maxRows: batchRows, epoch: 1, position: 0, rankRows: rankRows)
            var start = 0
            while start < kept.count {
                let positions = start..<min(start + batchRows, kept.count)
                let indices = try feed.indices(pass: 0, positions: positions)
                // The engine's division of this batch's micro-shards: this rank's are read.
                let plan = RankPlan(shardCount: (positions.count + shardRows - 1) / shardRows, parameterCount: 64,
                                    rankCount: rankCount)
                let mine = plan.shards[rank]
                let offsets = min(mine.lowerBound * shardRows, positions.count)..<min(mine.upperBound * shardRows, positions.count)
                #expect(offsets == rankRows.offsets(inBatchOf: positions.count))
                let features = feed.storage.features
                for offset in offsets {
                    let row = feed.rowIdentities[offset]
                    #expect(features[indices[offset] * 3] == Float(kept[row]), "rank \(rank) position \(start + offset)")
                    #expect(owners[row] == -1)
                    owners[row] = rank
                }
                start = positions.upperBound
            }
            readers.append(try #require(feed.reader))
        }
        #expect(!owners.contains(-1))
        // A run of one epoch: each reader read its own rows of the pass, and nothing else.
        for (rank, reader) in readers.enumerated() {
            #expect(reader.rowsRead == owners.filter { $0 == rank }.count, "rank \(rank)")
        }
    }

    /// What the streamed feeds hand out are the file rows the held-out split names: each
    /// row's first byte is its row number (mod 256) and its label its row number's class.
    @Test func streamedValidationAndTrainRowsAreTheHeldOutRowsAndTheRest() throws {
        let rows = 1000, width = 3
        let path = try numberedRows(rows)
        let experiment = try ExperimentLoader.load(
            text: "", name: "stream", source: "test",
            overrides: ["data.path=\"\(path)\"", "data.loading=\"stream\"", "data.validation_fraction=0.25",
                        "training.batch_size=50", "data.shuffle_window=200"])
        let data = try PreparedData.load(experiment)
        let held = try #require(data.heldOutRows)
        #expect(held.count == 250)
        let validation = try data.evaluationFeed(try #require(data.validation), split: nil, maxRows: 100)
        var seen: [Int] = []
        for start in stride(from: 0, to: 250, by: 100) {
            let indices = try validation.indices(pass: 0, positions: start..<min(start + 100, 250))
            for index in indices {
                let row = Int(validation.storage.features[index * width])
                #expect(validation.storage.labels?[index] == Int32(row % 5))
                seen.append(row)
            }
        }
        #expect(seen == held)
        let train = try data.trainFeed(experiment, maxRows: 50, epoch: 1, position: 0)
        var trained: [Int] = []
        for start in stride(from: 0, to: 750, by: 50) {
            let indices = try train.indices(pass: 0, positions: start..<(start + 50))
            for (offset, index) in indices.enumerated() {
                let row = Int(train.storage.features[index * width])
                #expect(train.storage.features[index * width + 1] == Float(row % 7))
                #expect(train.rowIdentities[offset] == data.train.fileRows!.firstIndex(of: row))
                trained.append(row)
            }
        }
        #expect(Set(trained) == Set(0..<rows).subtracting(held) && trained.count == 750)
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
