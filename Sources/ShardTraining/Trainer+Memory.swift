import Foundation
import ShardConfig
import ShardCore

extension Trainer {
    /// What training this network needs in memory, checked against the machine before any of
    /// it is allocated (an allocation the machine cannot hold aborts the process): weights,
    /// mean gradient, optimizer slots and one gradient per micro-shard, plus each worker's
    /// activations. Widths are at most 2^24 (the schema), so the products cannot overflow.
    static func checkMemory(experiment: Experiment, data: PreparedData) throws(ExperimentError) {
        let sizes = [data.train.width] + experiment.hidden + [data.outputWidth]
        var parameters = 0
        for (inputs, outputs) in zip(sizes, sizes.dropFirst()) { parameters += inputs * outputs + outputs }
        let shards = (experiment.batchSize + experiment.shardRows - 1) / max(experiment.shardRows, 1)
        let buffers = 2 + experiment.optimizer.slotNames.count + shards
        let workers = min(experiment.workers == 0 ? ProcessInfo.processInfo.activeProcessorCount : experiment.workers,
                          experiment.batchSize)
        let activations = experiment.shardRows * (sizes.dropFirst().reduce(0, +) + 2 * (sizes.max() ?? 0))
        let bytes = 4 * (parameters * buffers + workers * activations)
        let available = Memory.physicalBytes
        guard bytes <= available / 10 * 8 else {
            throw .invalidValue(
                source: "experiment", key: Keys.hidden.name, value: ConfigValue.array(experiment.hidden.map { .integer($0) }).description,
                reason: "a \(sizes.map(String.init).joined(separator: "-")) network (\(parameters) parameters) needs about \(Memory.describe(bytes)) to train, more than this machine's \(Memory.describe(available)); use narrower layers, a smaller training.batch_size or training.shard_rows")
        }
    }
}
