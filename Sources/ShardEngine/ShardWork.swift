import ShardCore

/// What the engine asks of a model, and all it knows of one: compute the gradient of one
/// micro-shard of the current mini-batch into a buffer, and update a slice of the parameters
/// from the mean gradient. The engine never sees layers, losses or data.
///
/// Both methods are called concurrently from several threads, each with its own `worker`
/// index (computeShard) or its own disjoint `range` (update).
public protocol ShardWork: AnyObject {
    /// Writes (overwrites, not adds) the gradient of the loss summed over micro-shard `shard`
    /// into `gradient` [parameterCount], using worker `worker`'s scratch memory only. Returns
    /// the shard's loss sum and correct count.
    func computeShard(_ shard: Int, worker: Int, gradient: UnsafeMutablePointer<Float>) -> ShardOutcome

    /// Applies the optimizer to `range` of the parameter vector, given the mean gradient of
    /// the mini-batch there.
    func update(range: Range<Int>, meanGradient: UnsafePointer<Float>)
}
