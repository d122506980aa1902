import ShardCore
import ShardData
import ShardNetwork

/// Loss and accuracy of a network over a whole split, in chunks of rows gathered (uint8
/// scaled to floats) into one preallocated batch and evaluated through one preallocated
/// workspace, so evaluation allocates nothing per chunk. The split comes through a `RowFeed`
/// in file order: in memory, or streamed by the split's reader.
public final class Evaluator {
    public static let chunkRows = 1024
    let network: Network
    let workspace: Workspace
    private var batch: MiniBatch?

    public init(network: Network) {
        self.network = network
        workspace = network.makeWorkspace(maxRows: Self.chunkRows)
    }

    public struct Result: Sendable {
        public var loss: Double
        /// nil for float targets
        public var accuracy: Double?
    }

    /// Evaluates a split held in memory.
    public func evaluate(parameters: FloatBuffer, on split: DataSplit) -> Result {
        // A feed over memory cannot fail.
        try! evaluate(parameters: parameters, feed: Self.fileOrderFeed(split))
    }

    /// The rows of a split in memory in file order, a chunk at a time.
    static func fileOrderFeed(_ split: DataSplit) -> RowFeed {
        let recipe = OrderRecipe(seed: 0, rowCount: split.rowCount, blockRows: chunkRows,
                                 windowRows: chunkRows, shuffled: false)
        return RowFeed(recipe: recipe, split: split, maxRows: chunkRows)
    }

    /// The batch chunks are gathered into, made for the split's widths on first use.
    private func chunkBatch(for split: DataSplit) -> MiniBatch {
        if let batch, batch.width == split.width, batch.targetWidth == split.targetWidth { return batch }
        let made = MiniBatch(capacity: Self.chunkRows, split: split)
        batch = made
        return made
    }

    /// The network's output for every row of `split` [rows x outputWidth]: probabilities under
    /// cross-entropy, the output activation's values under MSE (what an exported model gives).
    public func outputs(parameters: FloatBuffer, on split: DataSplit) -> FloatBuffer {
        flushSubnormalsToZero()
        let width = network.outputWidth
        let outputs = FloatBuffer(count: split.rowCount * width)
        let feed = Self.fileOrderFeed(split)
        let batch = chunkBatch(for: split)
        var start = 0
        while start < split.rowCount {
            let rows = min(Self.chunkRows, split.rowCount - start)
            batch.gather(from: split, indices: try! feed.indices(pass: 0, positions: start..<(start + rows)))
            let chunk = network.forward(parameters: parameters.pointer, inputs: batch.features.pointer,
                                        rows: rows, workspace: workspace)
            (outputs.pointer + start * width).update(from: chunk, count: rows * width)
            start += rows
        }
        return outputs
    }

    /// Evaluates the split `feed` reads (one pass, in file order; `feed.maxRows` must be at
    /// least `chunkRows`).
    public func evaluate(parameters: FloatBuffer, feed: RowFeed) throws(DataError) -> Result {
        flushSubnormalsToZero()
        let split = feed.storage
        let batch = chunkBatch(for: split)
        let rowCount = feed.recipe.rowCount
        let pass = feed.nextPass()
        var total = ShardOutcome()
        var start = 0
        while start < rowCount {
            let rows = min(Self.chunkRows, rowCount - start)
            let indices = try feed.indices(pass: pass, positions: start..<(start + rows))
            batch.gather(from: split, indices: indices)
            let targets: Targets = !split.isLabelled
                ? .values(UnsafePointer(batch.values.pointer))
                : .labels(UnsafePointer(batch.labels))
            total = total + network.evaluate(parameters: parameters.pointer, inputs: batch.features.pointer,
                                             targets: targets, rows: rows, workspace: workspace)
            start += rows
        }
        let count = Double(rowCount)
        return Result(loss: total.lossSum / count,
                      accuracy: !split.isLabelled ? nil : Double(total.correct) / count)
    }
}
