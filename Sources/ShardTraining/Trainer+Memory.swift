import Foundation
import ShardConfig
import ShardCore
import ShardNetwork

extension Trainer {
    /// What training this network needs in memory, checked against the machine before any of
    /// it is allocated (an allocation the machine cannot hold aborts the process): weights,
    /// mean gradient, optimizer slots and one gradient per micro-shard, plus each worker's
    /// activations. Widths are at most 2^24 (the schema), so the products cannot overflow.
    static func checkMemory(experiment: Experiment, data: PreparedData) throws(ExperimentError) {
        let sizes = [data.train.width] + experiment.hidden + [data.outputWidth]
        // Widths are at most 2^24 (the schema), so the count cannot overflow.
        let parameters = ParameterLayout.parameterCount(layerSizes: sizes) ?? Int.max
        let shards = (experiment.batchSize + experiment.shardRows - 1) / max(experiment.shardRows, 1)
        // Parameters, mean gradient, optimizer slots, shard gradients, and the best epoch's
        // weights with validation data.
        let buffers = 2 + experiment.optimizer.slotNames.count + shards + (experiment.hasValidationData ? 1 : 0)
        let workers = min(experiment.workers == 0 ? ProcessInfo.processInfo.activeProcessorCount : experiment.workers,
                          experiment.batchSize)
        // Per worker: activations, two deltas, and with dropout each hidden layer's mask and
        // dropped output.
        let dropoutWidths = experiment.dropout == nil ? 0 : 2 * experiment.hidden.reduce(0, +)
        let activations = experiment.shardRows * (sizes.dropFirst().reduce(0, +) + 2 * (sizes.max() ?? 0) + dropoutWidths)
        let bytes = 4 * (parameters * buffers + workers * activations)
        let available = Memory.physicalBytes
        guard Memory.fits(bytes) else {
            throw .invalidValue(
                source: "experiment", key: Keys.hidden.name, value: ConfigValue.array(experiment.hidden.map { .integer($0) }).description,
                reason: "a \(sizes.map(String.init).joined(separator: "-")) network (\(parameters) parameters) needs about \(Memory.describe(bytes)) to train, more than this machine's \(Memory.describe(available)); use narrower layers, a smaller training.batch_size or training.shard_rows")
        }
    }

    /// Bytes the data takes in memory: each split loaded whole, or its reader's ring.
    public var dataMemoryBytes: Int {
        [(data.trainSplit, data.train, trainFeed), (data.validationSplit, data.validation, validationFeed),
         (data.testSplit, data.test, testFeed)].map { split, layout, feed in
            split != nil ? layout?.memoryBytes ?? 0 : feed?.reader?.memoryBytes ?? 0
        }.reduce(0, +)
    }
}
