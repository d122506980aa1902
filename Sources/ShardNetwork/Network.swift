import ShardCore

#if canImport(Glibc)
import Glibc
#endif

/// A feedforward network of dense layers: z = x.W + b with samples as rows, W [inputs x
/// outputs]. Hidden layers share one activation; the output layer is softmax under
/// cross-entropy and `outputActivation` under MSE.
///
/// The network owns no parameters and spawns no threads: it describes the architecture and
/// computes on buffers the caller passes in. The one operation the data-parallel engine needs is
/// `accumulateGradient`: given the weights, a block of rows and a workspace, add the gradient
/// of the summed loss over those rows into a gradient buffer.
public struct Network: Sendable, Equatable {
    /// [input width, hidden widths..., output width]
    public let layerSizes: [Int]
    public let hiddenActivation: Activation
    public let outputActivation: Activation
    public let loss: Loss
    public let layout: ParameterLayout

    public init(layerSizes: [Int], hiddenActivation: Activation, loss: Loss,
                outputActivation: Activation = .identity) {
        precondition(layerSizes.count >= 2 && layerSizes.allSatisfy { $0 > 0 },
                     "a network needs an input and an output width, all positive")
        self.layerSizes = layerSizes
        self.hiddenActivation = hiddenActivation
        // Cross-entropy always reads logits (softmax is fused into the loss).
        self.outputActivation = loss == .crossEntropy ? .identity : outputActivation
        self.loss = loss
        layout = ParameterLayout(layerSizes: layerSizes)
    }

    public var inputWidth: Int { layerSizes[0] }
    public var outputWidth: Int { layerSizes[layerSizes.count - 1] }
    public var layerCount: Int { layerSizes.count - 1 }
    public var parameterCount: Int { layout.count }

    @inline(__always) func weightOffset(_ layer: Int) -> Int { layout.entries[2 * layer].offset }
    @inline(__always) func biasOffset(_ layer: Int) -> Int { layout.entries[2 * layer + 1].offset }
    @inline(__always) func activation(ofLayer layer: Int) -> Activation {
        layer == layerCount - 1 ? outputActivation : hiddenActivation
    }

    public enum Initialization: String, Sendable, CaseIterable {
        /// He normal: N(0, 2 / fanIn), for ReLU.
        case he
        /// Glorot uniform: U(-sqrt(6 / (fanIn + fanOut)), +...), for tanh, sigmoid, identity.
        case glorot
    }

    /// The usual initialisation for the hidden activation: He for ReLU, Glorot otherwise.
    public var defaultInitialization: Initialization { hiddenActivation == .relu ? .he : .glorot }

    /// Fills `parameters` with initial weights drawn from `generator`; biases are zero.
    public func initialize(_ parameters: FloatBuffer, scheme: Initialization,
                           generator: inout RandomGenerator) {
        precondition(parameters.count == parameterCount)
        parameters.fill(with: 0)
        for layer in 0..<layerCount {
            let fanIn = layerSizes[layer], fanOut = layerSizes[layer + 1]
            let weights = parameters.pointer + weightOffset(layer)
            switch scheme {
            case .he:
                let deviation = (2.0 / Double(fanIn)).squareRoot()
                for index in 0..<(fanIn * fanOut) {
                    weights[index] = Float(generator.nextGaussian() * deviation)
                }
            case .glorot:
                let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
                for index in 0..<(fanIn * fanOut) {
                    weights[index] = Float((2 * generator.nextUnitDouble() - 1) * limit)
                }
            }
        }
    }

    /// Scratch memory for up to `maxRows` rows; with `dropout`, also for the dropout masks.
    public func makeWorkspace(maxRows: Int, dropout: Bool = false) -> Workspace {
        Workspace(network: self, maxRows: maxRows, dropout: dropout)
    }

    // MARK: Forward

    /// Runs the forward pass over `rows` rows of `inputs` [rows x inputWidth] and returns the
    /// output [rows x outputWidth] in the workspace: probabilities under cross-entropy, the
    /// output activation's values under MSE. Valid until the workspace is used again.
    @discardableResult
    public func forward(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, rows: Int,
                        workspace: Workspace) -> UnsafePointer<Float> {
        forward(parameters: parameters, inputs: inputs, rows: rows, workspace: workspace, dropout: nil)
    }

    /// Whether `draw` drops units of hidden layer `layer`'s output.
    @inline(__always)
    private func drops(_ draw: DropoutDraw?, layer: Int) -> Bool {
        guard let draw, layer < layerCount - 1 else { return false }
        return draw.dropout.rates[layer] > 0
    }

    /// The forward pass; with `dropout`, each hidden layer's output is multiplied by its mask's
    /// scales (in the workspace, for the backward pass) before it feeds the next layer.
    private func forward(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, rows: Int,
                         workspace: Workspace, dropout: DropoutDraw?) -> UnsafePointer<Float> {
        precondition(rows <= workspace.maxRows, "\(rows) rows exceed the workspace's \(workspace.maxRows)")
        if let dropout {
            precondition(dropout.dropout.rates.count == layerCount - 1,
                         "\(dropout.dropout.rates.count) dropout rates for \(layerCount - 1) hidden layers")
            precondition(!dropout.dropout.isActive || workspace.dropoutScales.count == layerCount - 1,
                         "dropout needs a workspace made with dropout: true")
        }
        var layerInput = inputs
        for layer in 0..<layerCount {
            let fanIn = layerSizes[layer], fanOut = layerSizes[layer + 1]
            let z = workspace.activations[layer].pointer  // [rows x fanOut]
            // Z = X . W, then + b row by row, then the activation in place.
            BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: fanOut, k: fanIn,
                      a: layerInput, lda: fanIn, b: parameters + weightOffset(layer), ldb: fanOut,
                      beta: 0, c: z, ldc: fanOut)
            let bias = parameters + biasOffset(layer)
            let isLogits = layer == layerCount - 1 && loss == .crossEntropy
            if !isLogits && activation(ofLayer: layer) == .relu {
                // Bias and ReLU in one pass over the activations.
                for row in 0..<rows {
                    let line = z + row * fanOut
                    for column in 0..<fanOut { line[column] = max(line[column] + bias[column], 0) }
                }
            } else {
                for row in 0..<rows {
                    let line = z + row * fanOut
                    for column in 0..<fanOut { line[column] += bias[column] }
                }
                if isLogits {
                    softmaxRows(z, rows: rows, width: fanOut)
                } else {
                    activation(ofLayer: layer).apply(z, count: rows * fanOut)
                }
            }
            layerInput = UnsafePointer(z)
            if drops(dropout, layer: layer), let dropout {
                let scales = workspace.dropoutScales[layer].pointer  // [rows x fanOut]
                let dropped = workspace.droppedActivations[layer].pointer  // [rows x fanOut]
                dropout.dropout.writeScales(layer: layer, step: dropout.step, rowIndices: dropout.rowIndices,
                                            rows: rows, width: fanOut, into: scales)
                for index in 0..<(rows * fanOut) { dropped[index] = z[index] * scales[index] }
                layerInput = UnsafePointer(dropped)
            }
        }
        return layerInput
    }

    /// Loss sum and correct count over `rows` rows, without gradients (evaluation).
    public func evaluate(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>,
                         targets: Targets, rows: Int, workspace: Workspace) -> ShardOutcome {
        let outputs = forward(parameters: parameters, inputs: inputs, rows: rows,
                              workspace: workspace)
        return lossAndOutputGradient(outputs: outputs, targets: targets, rows: rows,
                                     gradient: nil)
    }

    // MARK: Backward

    /// Adds the gradient of the loss summed over `rows` rows into `gradient` (laid out as
    /// `layout`) and returns that loss sum and the correct count; with `overwrite`, writes it
    /// instead (no need to zero the buffer first). Reads `parameters` only; writes only
    /// `gradient` and `workspace`, so workers may share `parameters`. With `dropout`, the loss
    /// and gradient are those of the network with the draw's masks on its hidden outputs.
    public func accumulateGradient(
        parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, targets: Targets,
        rows: Int, workspace: Workspace, gradient: UnsafeMutablePointer<Float>,
        overwrite: Bool = false, dropout: DropoutDraw? = nil
    ) -> ShardOutcome {
        guard rows > 0 else {
            if overwrite { gradient.update(repeating: 0, count: parameterCount) }
            return ShardOutcome()
        }
        let dropout = dropout?.dropout.isActive == true ? dropout : nil
        let outputs = forward(parameters: parameters, inputs: inputs, rows: rows,
                              workspace: workspace, dropout: dropout)
        // dZ of the output layer [rows x outputWidth], in the first delta buffer.
        var delta = workspace.deltaA.pointer
        var spare = workspace.deltaB.pointer
        let outcome = lossAndOutputGradient(outputs: outputs, targets: targets, rows: rows,
                                            gradient: delta)
        if loss == .meanSquaredError {
            outputActivation.backward(outputs: outputs, gradient: delta, count: rows * outputWidth)
        }
        for layer in stride(from: layerCount - 1, through: 0, by: -1) {
            let fanIn = layerSizes[layer], fanOut = layerSizes[layer + 1]
            // The input this layer saw: the previous layer's output, after dropout if any.
            let layerInput = layer == 0 ? inputs
                : drops(dropout, layer: layer - 1) ? UnsafePointer(workspace.droppedActivations[layer - 1].pointer)
                : UnsafePointer(workspace.activations[layer - 1].pointer)
            // dW += X^T . dZ   [fanIn x fanOut]
            BLAS.gemm(transposeA: true, transposeB: false, m: fanIn, n: fanOut, k: rows,
                      a: layerInput, lda: fanIn, b: delta, ldb: fanOut,
                      beta: overwrite ? 0 : 1, c: gradient + weightOffset(layer), ldc: fanOut)
            // db += column sums of dZ   [fanOut]
            let dBias = gradient + biasOffset(layer)
            if overwrite { dBias.update(repeating: 0, count: fanOut) }
            for row in 0..<rows {
                let line = delta + row * fanOut
                for column in 0..<fanOut { dBias[column] += line[column] }
            }
            guard layer > 0 else { break }
            // dX = dZ . W^T   [rows x fanIn], then through the previous layer's activation.
            BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: fanIn, k: fanOut,
                      a: delta, lda: fanOut, b: parameters + weightOffset(layer), ldb: fanOut,
                      beta: 0, c: spare, ldc: fanIn)
            if drops(dropout, layer: layer - 1) {
                // Through the mask: d(a * scale)/da = scale.
                let scales = workspace.dropoutScales[layer - 1].pointer
                for index in 0..<(rows * fanIn) { spare[index] *= scales[index] }
            }
            hiddenActivation.backward(outputs: workspace.activations[layer - 1].pointer,
                                      gradient: spare, count: rows * fanIn)
            swap(&delta, &spare)
        }
        return outcome
    }

    /// The loss over the output rows, and (when `gradient` is given) dL/d(output) into it:
    /// softmax - onehot under cross-entropy (that is dL/dz), a - t under MSE (dL/da).
    private func lossAndOutputGradient(
        outputs: UnsafePointer<Float>, targets: Targets, rows: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> ShardOutcome {
        let width = outputWidth
        var lossSum = 0.0
        var correct = 0
        for row in 0..<rows {
            let output = outputs + row * width
            let label: Int? = if case .labels(let labels) = targets { Int(labels[row]) } else { nil }
            if let label, argmax(output, count: width) == label { correct += 1 }
            switch (loss, targets) {
            case (.crossEntropy, .labels):
                // log p_y, with p_y clamped away from 0 so a confident mistake costs ~ 87
                // rather than infinity (softmax already subtracted the max logit).
                lossSum -= Double(logf(max(output[label!], Float.leastNormalMagnitude)))
                if let gradient {
                    let line = gradient + row * width
                    for column in 0..<width { line[column] = output[column] }
                    line[label!] -= 1
                }
            case (.crossEntropy, .values(let values)):
                // Soft targets: -sum_k t_k log p_k; gradient p - t (targets sum to 1).
                let target = values + row * width
                for column in 0..<width where target[column] != 0 {
                    lossSum -= Double(target[column])
                        * Double(logf(max(output[column], Float.leastNormalMagnitude)))
                }
                if let gradient {
                    let line = gradient + row * width
                    for column in 0..<width { line[column] = output[column] - target[column] }
                }
            case (.meanSquaredError, _):
                var sum: Float = 0
                let line = gradient.map { $0 + row * width }
                for column in 0..<width {
                    let target: Float
                    switch targets {
                    case .labels: target = column == label! ? 1 : 0
                    case .values(let values): target = values[row * width + column]
                    }
                    let difference = output[column] - target
                    sum += difference * difference
                    line?[column] = difference
                }
                lossSum += 0.5 * Double(sum)
            }
        }
        return ShardOutcome(lossSum: lossSum, correct: correct)
    }

    @inline(__always)
    private func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for index in 1..<max(count, 1) where values[index] > values[best] { best = index }
        return best
    }

    /// Softmax of each row in place, with the row's max subtracted first so exp never overflows.
    private func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            let line = values + row * width
            var largest = line[0]
            for column in 1..<max(width, 1) { largest = max(largest, line[column]) }
            var sum: Float = 0
            for column in 0..<width {
                let e = expf(line[column] - largest)
                line[column] = e
                sum += e
            }
            let scale = 1 / sum
            for column in 0..<width { line[column] *= scale }
        }
    }
}
