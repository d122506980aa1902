import Foundation
import ShardCore
import Testing
@testable import ShardNetwork

/// Finite differences against the analytic gradients, for every activation and both losses.
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

        let gradient = FloatBuffer(count: network.parameterCount)
        let workspace = network.makeWorkspace(maxRows: rows)
        let outcome = labels.withUnsafeBufferPointer { labelPointer in
            network.accumulateGradient(
                parameters: parameters.pointer, inputs: inputs.pointer,
                targets: .labels(labelPointer.baseAddress!), rows: rows, workspace: workspace,
                gradient: gradient.pointer)
        }

        var reference = parameters.array.map(Double.init)
        let x = inputs.array.map(Double.init)
        let referenceLoss = ReferenceNetwork(network: network).loss(parameters: reference, inputs: x, labels: labels)
        #expect(abs(outcome.lossSum - referenceLoss) <= 1e-5 * max(1, abs(referenceLoss)),
                "network loss \(outcome.lossSum) vs reference \(referenceLoss)")

        let h = 1e-6
        let model = ReferenceNetwork(network: network)
        for index in 0..<network.parameterCount {
            let saved = reference[index]
            reference[index] = saved + h
            let plus = model.loss(parameters: reference, inputs: x, labels: labels)
            reference[index] = saved - h
            let minus = model.loss(parameters: reference, inputs: x, labels: labels)
            reference[index] = saved
            let numerical = (plus - minus) / (2 * h)
            let analytic = Double(gradient[index])
            #expect(abs(analytic - numerical) <= 1e-4 * max(1, abs(numerical)),
                    "\(hidden)/\(loss)/\(output) parameter \(index): analytic \(analytic), numerical \(numerical)")
        }
    }
}

/// The forward pass and summed loss in Float64 with plain loops: the oracle for the checks.
struct ReferenceNetwork {
    let network: Network

    func activate(_ z: Double, _ activation: Activation) -> Double {
        switch activation {
        case .relu: return max(z, 0)
        case .tanh: return Foundation.tanh(z)
        case .sigmoid: return 1 / (1 + exp(-z))
        case .identity: return z
        }
    }

    func loss(parameters: [Double], inputs: [Double], labels: [Int32]) -> Double {
        let sizes = network.layerSizes
        let rows = labels.count
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
            }
            let label = Int(labels[row])
            if network.loss == .crossEntropy {
                let largest = a.max()!
                let logSum = log(a.map { exp($0 - largest) }.reduce(0, +)) + largest
                total += logSum - a[label]
            } else {
                total += 0.5 * a.enumerated().map { ($0.element - ($0.offset == label ? 1 : 0)) * ($0.element - ($0.offset == label ? 1 : 0)) }.reduce(0, +)
            }
        }
        return total
    }
}
