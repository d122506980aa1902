import ShardCore
import ShardData
import ShardNetwork

/// Loss and accuracy of a network over a whole split, in chunks of rows through one
/// preallocated workspace (so evaluation allocates nothing per chunk).
public final class Evaluator {
    public static let chunkRows = 1024
    let network: Network
    let workspace: Workspace

    public init(network: Network) {
        self.network = network
        workspace = network.makeWorkspace(maxRows: Self.chunkRows)
    }

    public struct Result: Sendable {
        public var loss: Double
        /// nil for float targets
        public var accuracy: Double?
    }

    public func evaluate(parameters: FloatBuffer, on split: DataSplit) -> Result {
        flushSubnormalsToZero()
        var total = ShardOutcome()
        var start = 0
        while start < split.rowCount {
            let rows = min(Self.chunkRows, split.rowCount - start)
            let inputs = UnsafePointer(split.features.pointer + start * split.width)
            total = total + split.withTargets(startingAt: start, outputWidth: network.outputWidth) { targets in
                network.evaluate(parameters: parameters.pointer, inputs: inputs, targets: targets,
                                 rows: rows, workspace: workspace)
            }
            start += rows
        }
        let count = Double(split.rowCount)
        return Result(loss: total.lossSum / count,
                      accuracy: split.labels == nil ? nil : Double(total.correct) / count)
    }

    /// The network's output for every row of `split` [rows x outputWidth]: probabilities under
    /// cross-entropy, the output activation's values under MSE (what an exported model gives).
    public func outputs(parameters: FloatBuffer, on split: DataSplit) -> FloatBuffer {
        flushSubnormalsToZero()
        let width = network.outputWidth
        let outputs = FloatBuffer(count: split.rowCount * width)
        var start = 0
        while start < split.rowCount {
            let rows = min(Self.chunkRows, split.rowCount - start)
            let chunk = network.forward(parameters: parameters.pointer,
                                        inputs: UnsafePointer(split.features.pointer + start * split.width),
                                        rows: rows, workspace: workspace)
            (outputs.pointer + start * width).update(from: chunk, count: rows * width)
            start += rows
        }
        return outputs
    }
}

extension DataSplit {
    /// Calls `body` with the network's view of this split's targets from row `start` on.
    func withTargets<R>(startingAt start: Int, outputWidth: Int, _ body: (ShardNetwork.Targets) -> R) -> R {
        switch targets {
        case .labels(let labels):
            return labels.withUnsafeBufferPointer { body(.labels($0.baseAddress! + start)) }
        case .values(let values, let width):
            return body(.values(UnsafePointer(values.pointer + start * width)))
        }
    }
}
