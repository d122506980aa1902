import Foundation
import ShardCore
import ShardTestSupport
import Testing
@testable import ShardData
@testable import ShardNetwork
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

/// The engine driving the real network: its averaged gradient is the whole batch's, and the
/// weights it trains do not depend on the worker count.
struct DataParallelTrainingTests {
    func trainer(data: String, _ overrides: [String]) throws -> Trainer {
        let experiment = try ExperimentLoader.load(
            text: "", name: "parallel", source: "test",
            overrides: ["data.path=\"\(data)\"", "model.hidden=[32, 16]", "optimizer.name=adam",
                        "optimizer.learning_rate=0.01", "output.model=\"\(temporaryPath("m.h5"))\""] + overrides)
        return try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
    }

    @Test(arguments: [1, 2, 3, 8])
    func engineGradientEqualsTheWholeBatchGradient(workers: Int) throws {
        let data = try writeBlobs(trainRows: 300)
        let trainer = try trainer(data: data, ["training.workers=\(workers)", "training.batch_size=100",
                                               "training.shard_rows=16"])
        // 100 of the 300 rows, in a shuffled order, so a batch gathered wrongly (rows
        // skipped, repeated, or taken in split order) would show.
        var generator = RandomGenerator(seed: 99)
        var order = Array(0..<300)
        generator.shuffle(&order)
        let indices = Array(order.prefix(100))
        let outcome = trainer.computeGradient(indices: ArraySlice(indices))

        // The oracle: the network's gradient of the same 100 rows in one call, on one thread,
        // with the rows copied here from the data split itself (not from the engine's batch,
        // which the engine's own workers fill).
        let network = trainer.network
        let split = try #require(trainer.data.trainSplit)
        let labels = try #require(split.labels)
        let splitFeatures = split.features
        var features = [Float]()
        var rowLabels = [Int32]()
        for row in indices {
            features += UnsafeBufferPointer(start: splitFeatures.pointer + row * split.width, count: split.width)
            rowLabels.append(labels[row])
        }
        let whole = FloatBuffer(count: network.parameterCount)
        let expected = features.withUnsafeBufferPointer { inputs in
            rowLabels.withUnsafeBufferPointer { targets in
                network.accumulateGradient(
                    parameters: trainer.parameters.pointer, inputs: inputs.baseAddress!,
                    targets: .labels(targets.baseAddress!), rows: 100,
                    workspace: network.makeWorkspace(maxRows: 100), gradient: whole.pointer)
            }
        }
        // Same terms, summed in another order (7 micro-shards, then across them): Float32
        // rounding differs by a few ulps of the largest partial sums, ~1e-6 relative.
        for index in 0..<network.parameterCount {
            let mean = whole[index] / 100
            #expect(abs(trainer.gradient[index] - mean) <= 1e-5 * max(1, abs(mean)),
                    "parameter \(index): engine \(trainer.gradient[index]) vs whole batch \(mean)")
        }
        #expect(abs(outcome.lossSum - expected.lossSum) <= 1e-5 * expected.lossSum)
        #expect(outcome.correct == expected.correct)
    }

    @Test(arguments: [(128, 0), (100, 0), (128, 16), (100, 16)])
    func weightsAreBitwiseIdenticalForAnyWorkerCount(batchSize: Int, shardRows: Int) throws {
        // 1000 rows: 8 or 10 steps per epoch, 30 epochs: 240 to 300 steps, the last batch of
        // each epoch short (1000 is a multiple of neither 128 nor, with 100, of 16 rows).
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        var reference: [Float]?
        var referenceLoss: Double?
        for workers in [1, 2, 3, 4, 8] {
            let trainer = try trainer(data: data, [
                "training.workers=\(workers)", "training.batch_size=\(batchSize)",
                "training.shard_rows=\(shardRows)", "training.epochs=30",
            ])
            let summary = try trainer.run()
            #expect(summary.workers == workers)
            #expect(summary.steps >= 240)
            let weights = trainer.parameters.array
            if let reference {
                #expect(weights == reference, "workers \(workers), batch \(batchSize): weights differ")
                #expect(summary.trainLoss == referenceLoss)
            } else {
                reference = weights
                referenceLoss = summary.trainLoss
            }
        }
    }

    @Test func moreWorkersThanRowsAreClampedToTheBatchSize() throws {
        let trainer = try trainer(data: try writeBlobs(trainRows: 30), ["training.workers=8", "training.batch_size=4"])
        #expect(trainer.workerCount == 4)
    }
}
