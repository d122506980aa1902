import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// Connects the network to the engine: micro-shard s of the gathered mini-batch is its rows
/// [s * shardRows, min((s + 1) * shardRows, rows)); each worker has its own workspace sized
/// for one micro-shard; the update is the optimizer's, on the engine's slice.
final class NetworkShardWork: ShardWork, @unchecked Sendable {
    let network: Network
    let parameters: FloatBuffer
    let batch: MiniBatch
    let optimizer: Optimizer
    let shardRows: Int
    let workspaces: [Workspace]
    let isClassification: Bool
    /// Set by the trainer before each step.
    var rowCount = 0
    var learningRate: Float = 0

    init(network: Network, parameters: FloatBuffer, batch: MiniBatch, optimizer: Optimizer,
         shardRows: Int, workerCount: Int, isClassification: Bool) {
        self.network = network
        self.parameters = parameters
        self.batch = batch
        self.optimizer = optimizer
        self.shardRows = shardRows
        self.isClassification = isClassification
        workspaces = (0..<workerCount).map { _ in network.makeWorkspace(maxRows: shardRows) }
    }

    func shardCount(rows: Int) -> Int { (rows + shardRows - 1) / shardRows }

    func computeShard(_ shard: Int, worker: Int, gradient: UnsafeMutablePointer<Float>) -> ShardOutcome {
        let first = shard * shardRows
        let rows = min(shardRows, rowCount - first)
        let targets: Targets = isClassification
            ? .labels(UnsafePointer(batch.labels + first))
            : .values(UnsafePointer(batch.values.pointer + first * batch.targetWidth))
        return network.accumulateGradient(
            parameters: parameters.pointer, inputs: batch.features.pointer + first * batch.width,
            targets: targets, rows: rows, workspace: workspaces[worker], gradient: gradient,
            overwrite: true)
    }

    func update(range: Range<Int>, meanGradient: UnsafePointer<Float>) {
        optimizer.update(parameters: parameters, gradient: meanGradient, learningRate: learningRate,
                         range: range)
    }
}
