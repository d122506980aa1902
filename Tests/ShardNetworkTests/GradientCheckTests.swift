import Foundation
import ShardCore
import Testing
@testable import ShardNetwork

/// Finite differences against the analytic gradients, for every activation and both losses,
/// with label and float targets, accumulating and overwriting.
///
/// The network computes in Float32, where a finite difference of the loss loses about half of
/// its 7 digits to cancellation. So the numerical gradient is taken in Float64 of an
/// independent reference forward pass (plain loops, written here), central differences with
/// h = 1e-6 (error ~1e-10), and the reference loss is first checked to equal the network's own
/// loss. What remains is Float32 rounding of the analytic gradient, ~1e-6 relative on a network
/// this small: the tolerance 1e-4 * max(1, |g|) leaves 100x room and still catches any wrong
/// term (those are off by O(|g|)).
struct GradientCheckTests {
    static let cases: [(Activation, Loss, Activation)] = [
        (.relu, .crossEntropy, .identity), (.tanh, .crossEntropy, .identity),
        (.sigmoid, .crossEntropy, .identity), (.identity, .crossEntropy, .identity),
        (.relu, .meanSquaredError, .identity), (.tanh, .meanSquaredError, .sigmoid),
        (.sigmoid, .meanSquaredError, .tanh), (.identity, .meanSquaredError, .relu),
    ]

    @Test(arguments: 0..<cases.count)
    func analyticGradientMatchesFiniteDifferences(caseIndex: Int) {
        check(caseIndex: caseIndex, floatTargets: false, overwrite: false)
    }

    /// Float targets (`y` as values: regression under MSE, soft labels under cross-entropy),
    /// and the path the engine takes (`overwrite: true` into a buffer holding garbage), for
    /// every case; and accumulation onto a non-zero buffer with float targets.
    @Test(arguments: 0..<cases.count, [(true, true), (false, true), (true, false)])
    func floatTargetsAndTheEnginesOverwritePath(caseIndex: Int, variant: (floatTargets: Bool, overwrite: Bool)) {
        check(caseIndex: caseIndex, floatTargets: variant.floatTargets, overwrite: variant.overwrite)
    }

    func check(caseIndex: Int, floatTargets: Bool, overwrite: Bool) {
        let (hidden, loss, output) = Self.cases[caseIndex]
        let network = Network(layerSizes: [4, 5, 3, 3], hiddenActivation: hidden, loss: loss,
                              outputActivation: output)
        var generator = RandomGenerator(seed: UInt64(caseIndex + 7))
        let parameters = FloatBuffer(count: network.parameterCount)
        network.initialize(parameters, scheme: .glorot, generator: &generator)
        // Non-zero biases, so their gradients are exercised too.
        for entry in network.layout.entries where !entry.isWeight {
            for index in entry.range { parameters[index] = Float(generator.nextGaussian() * 0.3) }
        }
        let rows = 5
        let inputs = FloatBuffer((0..<(rows * 4)).map { _ in Float(generator.nextGaussian()) })
        let labels: [Int32] = (0..<rows).map { _ in Int32(generator.nextIndex(below: 3)) }
        // Float targets: any real values under MSE; under cross-entropy, soft labels (each row
        // a distribution: the gradient p - t assumes they sum to 1).
        let values: [Float] = (0..<rows).flatMap { _ -> [Float] in
            let raw = (0..<3).map { _ in Float(generator.nextGaussian()) }
            guard loss == .crossEntropy else { return raw }
            let positive = raw.map { abs($0) + 0.1 }
            let total = positive.reduce(0, +)
            return positive.map { $0 / total }
        }
        let targets: ReferenceNetwork.Targets = floatTargets
            ? .values(values.map(Double.init)) : .labels(labels)

        // What the buffer holds before the call: zeros (the trainer's accumulation), garbage
        // that must be overwritten (the engine's path), or values the gradient adds onto.
        let gradient = FloatBuffer(count: network.parameterCount)
        let before: [Float] = (0..<network.parameterCount).map { index in
            overwrite ? 1e3 + Float(index) : (floatTargets ? Float(index % 5) * 0.25 : 0)
        }
        for index in 0..<network.parameterCount { gradient[index] = before[index] }
        let workspace = network.makeWorkspace(maxRows: rows)
        let outcome = labels.withUnsafeBufferPointer { labelPointer in
            values.withUnsafeBufferPointer { valuePointer in
                network.accumulateGradient(
                    parameters: parameters.pointer, inputs: inputs.pointer,
                    targets: floatTargets ? .values(valuePointer.baseAddress!) : .labels(labelPointer.baseAddress!),
                    rows: rows, workspace: workspace, gradient: gradient.pointer, overwrite: overwrite)
            }
        }

        var reference = parameters.array.map(Double.init)
        let x = inputs.array.map(Double.init)
        let model = ReferenceNetwork(network: network)
        let referenceLoss = model.loss(parameters: reference, inputs: x, targets: targets)
        #expect(abs(outcome.lossSum - referenceLoss) <= 1e-5 * max(1, abs(referenceLoss)),
                "network loss \(outcome.lossSum) vs reference \(referenceLoss)")

        let h = 1e-6
        let what = "\(hidden)/\(loss)/\(output) \(floatTargets ? "float targets" : "labels")\(overwrite ? ", overwrite" : "")"
        for index in 0..<network.parameterCount {
            let saved = reference[index]
            reference[index] = saved + h
            let plus = model.loss(parameters: reference, inputs: x, targets: targets)
            reference[index] = saved - h
            let minus = model.loss(parameters: reference, inputs: x, targets: targets)
            reference[index] = saved
            let numerical = (plus - minus) / (2 * h)
            let analytic = Double(gradient[index]) - (overwrite ? 0 : Double(before[index]))
            #expect(abs(analytic - numerical) <= 1e-4 * max(1, abs(numerical)),
                    "\(what) parameter \(index): analytic \(analytic), numerical \(numerical)")
        }
    }
}

/// The forward pass and summed loss in Float64 with plain loops: the oracle for the checks.
/// With `masks` (per hidden layer, [rows x width]), each hidden output is multiplied by its
/// mask: dropout with the mask held fixed.
struct ReferenceNetwork {
    let network: Network
    var masks: [[Double]]? = nil

    enum Targets {
        case labels([Int32])
        /// rows x outputWidth
        case values([Double])
    }

    func activate(_ z: Double, _ activation: Activation) -> Double {
        switch activation {
        case .relu: return max(z, 0)
        case .tanh: return Foundation.tanh(z)
        case .sigmoid: return 1 / (1 + exp(-z))
        case .identity: return z
        }
    }

    func loss(parameters: [Double], inputs: [Double], targets: Targets) -> Double {
        let sizes = network.layerSizes
        let rows = inputs.count / sizes[0]
        let width = sizes[sizes.count - 1]
        var total = 0.0
        for row in 0..<rows {
            var a = Array(inputs[(row * sizes[0])..<((row + 1) * sizes[0])])
            for layer in 0..<(sizes.count - 1) {
                let w = network.layout.entries[2 * layer], b = network.layout.entries[2 * layer + 1]
                var z = [Double](repeating: 0, count: sizes[layer + 1])
                for j in 0..<sizes[layer + 1] {
                    var sum = parameters[b.offset + j]
                    for i in 0..<sizes[layer] { sum += a[i] * parameters[w.offset + i * sizes[layer + 1] + j] }
                    z[j] = sum
                }
                let isOutput = layer == sizes.count - 2
                if isOutput && network.loss == .crossEntropy {
                    a = z
                } else {
                    a = z.map { activate($0, isOutput ? network.outputActivation : network.hiddenActivation) }
                }
                if !isOutput, let masks {
                    let width = sizes[layer + 1]
                    for j in 0..<width { a[j] *= masks[layer][row * width + j] }
                }
            }
            // The target row: one-hot for a label, the given values otherwise.
            let target: [Double] = switch targets {
            case .labels(let labels): (0..<width).map { $0 == Int(labels[row]) ? 1 : 0 }
            case .values(let values): Array(values[(row * width)..<((row + 1) * width)])
            }
            if network.loss == .crossEntropy {
                let largest = a.max()!
                let logSum = log(a.map { exp($0 - largest) }.reduce(0, +)) + largest
                // -sum_k t_k log softmax_k; for a one-hot target, logSum - a[label].
                total += zip(a, target).map { -$1 * ($0 - logSum) }.reduce(0, +)
            } else {
                total += 0.5 * zip(a, target).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            }
        }
        return total
    }
}
