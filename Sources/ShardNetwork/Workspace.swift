import ShardCore

/// One worker's scratch memory for forward and backward passes over up to `maxRows` rows:
/// every layer's activations, and two delta buffers used in turn by the backward pass.
/// Allocated once, before training; nothing inside a step allocates.
///
/// Sendable: constants of Sendable types. One workspace belongs to one worker at a time:
/// the engine gives each worker its own.
public final class Workspace: Sendable {
    public let maxRows: Int
    /// activations[l]: [maxRows x layerSizes[l + 1]], the output of dense layer l
    let activations: [FloatBuffer]
    /// [maxRows x widest layer], dL/dz (or dL/da) of the layer being differentiated
    let deltaA: FloatBuffer
    let deltaB: FloatBuffer

    init(network: Network, maxRows: Int) {
        precondition(maxRows > 0)
        self.maxRows = maxRows
        activations = network.layerSizes.dropFirst().map { FloatBuffer(count: maxRows * $0) }
        let widest = network.layerSizes.max()!
        deltaA = FloatBuffer(count: maxRows * widest)
        deltaB = FloatBuffer(count: maxRows * widest)
    }
}
