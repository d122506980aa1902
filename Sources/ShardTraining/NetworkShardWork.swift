import ShardCore
import ShardData
import ShardEngine
import ShardNetwork

/// Connects the network to the engine: micro-shard s of the mini-batch is its rows
/// [s * shardRows, min((s + 1) * shardRows, rows)), which the worker computing it first gathers
/// from the split (so the copy runs in parallel and lands in that worker's cache); each worker
/// has its own workspace sized for one micro-shard; the update is the optimizer's, on the
/// engine's slice. Dropout masks are keyed on the rows' indices in the train split and the
/// step, so a row's mask does not depend on the worker or micro-shard that computes it.
final class NetworkShardWork: ShardWork {
    let network: Network
    let parameters: FloatBuffer
    let batch: MiniBatch
    let optimizer: Optimizer
    let shardRows: Int
    let workspaces: [Workspace]
    let isClassification: Bool
    /// nil, or dropout with some rate above 0.
    let dropout: Dropout?
    /// Set by the trainer before each step: the rows of this mini-batch, in order, as indices
    /// into `split` (the split in memory, or a streaming reader's ring).
    var split: DataSplit?
    var indices = UnsafeBufferPointer<Int>(start: nil, count: 0)
    /// The same rows as rows of the train split (what keys their dropout masks); equal to
    /// `indices` in memory, not when streaming (where `indices` point into the ring).
    var rowIdentities = UnsafeBufferPointer<Int>(start: nil, count: 0)
    var learningRate: Float = 0
    /// Set by the trainer before each step: updates applied before it (keys the dropout masks).
    var step = 0

    init(network: Network, parameters: FloatBuffer, batch: MiniBatch,
         optimizer: Optimizer, shardRows: Int, workerCount: Int, isClassification: Bool,
         dropout: Dropout? = nil) {
        self.network = network
        self.parameters = parameters
        self.batch = batch
        self.optimizer = optimizer
        self.shardRows = shardRows
        self.isClassification = isClassification
        let dropout = dropout?.isActive == true ? dropout : nil
        self.dropout = dropout
        workspaces = (0..<workerCount).map { _ in
            network.makeWorkspace(maxRows: shardRows, dropout: dropout != nil)
        }
    }

    func shardCount(rows: Int) -> Int { (rows + shardRows - 1) / shardRows }

    func computeShard(_ shard: Int, worker: Int, gradient: UnsafeMutablePointer<Float>) -> ShardOutcome {
        let first = shard * shardRows
        let rows = min(shardRows, indices.count - first)
        batch.gather(from: split!, indices: UnsafeBufferPointer(rebasing: indices[first..<(first + rows)]), toRow: first)
        let targets: Targets = isClassification
            ? .labels(UnsafePointer(batch.labels + first))
            : .values(UnsafePointer(batch.values.pointer + first * batch.targetWidth))
        let inputs = batch.features.pointer + first * batch.width
        guard let dropout else {
            return network.accumulateGradient(
                parameters: parameters.pointer, inputs: inputs, targets: targets, rows: rows,
                workspace: workspaces[worker], gradient: gradient, overwrite: true)
        }
        return network.accumulateGradient(
            parameters: parameters.pointer, inputs: inputs, targets: targets, rows: rows,
            workspace: workspaces[worker], gradient: gradient, overwrite: true,
            dropout: DropoutDraw(dropout: dropout, step: step, rowIndices: rowIdentities.baseAddress! + first))
    }

    func update(range: Range<Int>, meanGradient: UnsafePointer<Float>) {
        optimizer.update(parameters: parameters, gradient: meanGradient, learningRate: learningRate,
                         range: range)
    }
}
