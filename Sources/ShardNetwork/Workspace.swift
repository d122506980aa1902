import ShardCore

/// One worker's scratch memory for forward and backward passes over up to `maxRows` rows:
/// every layer's activations, and two delta buffers used in turn by the backward pass; with
/// dropout, each hidden layer's mask scales and its output after dropout. Allocated once,
/// before training; nothing inside a step allocates.
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
    /// With dropout, per hidden layer l: [maxRows x layerSizes[l + 1]] the mask's scales
    /// (0 or 1 / (1 - rate)), and the layer's output times them, the next layer's input. The
    /// activations keep the output before dropout, which tanh' and sigmoid' need. Empty
    /// without dropout.
    let dropoutScales: [FloatBuffer]
    let droppedActivations: [FloatBuffer]

    init(network: Network, maxRows: Int, dropout: Bool = false) {
        precondition(maxRows > 0)
        self.maxRows = maxRows
        activations = network.layerSizes.dropFirst().map { FloatBuffer(count: maxRows * $0) }
        let widest = network.layerSizes.max()!
        deltaA = FloatBuffer(count: maxRows * widest)
        deltaB = FloatBuffer(count: maxRows * widest)
        let hidden = dropout ? network.layerSizes.dropFirst().dropLast() : []
        dropoutScales = hidden.map { FloatBuffer(count: maxRows * $0) }
        droppedActivations = hidden.map { FloatBuffer(count: maxRows * $0) }
    }
}
