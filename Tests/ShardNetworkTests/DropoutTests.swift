import Foundation
import ShardCore
import Testing
@testable import ShardNetwork

/// Dropout: its gradient against finite differences with the mask held fixed, the measured drop
/// rate, masks that depend on (seed, step, row, unit) only, and rate 0 taking the exact path of
/// no dropout.
struct DropoutTests {
    /// A small network with random weights and non-zero biases, and random rows.
    struct Setup {
        let network: Network
        let parameters: FloatBuffer
        let inputs: FloatBuffer
        let labels: [Int32]
        let rows: Int

        init(activation: Activation, loss: Loss = .crossEntropy, seed: UInt64, rows: Int = 6) {
            network = Network(layerSizes: [4, 7, 5, 3], hiddenActivation: activation, loss: loss)
            var generator = RandomGenerator(seed: seed)
            parameters = FloatBuffer(count: network.parameterCount)
            network.initialize(parameters, scheme: .glorot, generator: &generator)
            for entry in network.layout.entries where !entry.isWeight {
                for index in entry.range { parameters[index] = Float(generator.nextGaussian() * 0.3) }
            }
            self.rows = rows
            inputs = FloatBuffer((0..<(rows * 4)).map { _ in Float(generator.nextGaussian()) })
            labels = (0..<rows).map { _ in Int32(generator.nextIndex(below: 3)) }
        }

        func gradient(dropout: DropoutDraw?, workspaceDropout: Bool = true) -> ([Float], ShardOutcome) {
            let gradient = FloatBuffer(count: network.parameterCount)
            let workspace = network.makeWorkspace(maxRows: rows, dropout: workspaceDropout)
            let outcome = labels.withUnsafeBufferPointer { labelPointer in
                network.accumulateGradient(
                    parameters: parameters.pointer, inputs: inputs.pointer,
                    targets: .labels(labelPointer.baseAddress!), rows: rows, workspace: workspace,
                    gradient: gradient.pointer, overwrite: true, dropout: dropout)
            }
            return (gradient.array, outcome)
        }
    }

    /// The masks' scales of every hidden layer for `rows` (as the network computes them).
    func scales(_ dropout: Dropout, network: Network, step: Int, rowIndices: [Int]) -> [[Float]] {
        (0..<(network.layerCount - 1)).map { layer in
            let width = network.layerSizes[layer + 1]
            var values = [Float](repeating: -1, count: rowIndices.count * width)
            rowIndices.withUnsafeBufferPointer { rows in
                values.withUnsafeMutableBufferPointer { out in
                    dropout.writeScales(layer: layer, step: step, rowIndices: rows.baseAddress!,
                                        rows: rowIndices.count, width: width, into: out.baseAddress!)
                }
            }
            return values
        }
    }

    @Test(arguments: [Activation.relu, .tanh, .sigmoid])
    func gradientMatchesFiniteDifferencesWithTheMaskFixed(activation: Activation) {
        let setup = Setup(activation: activation, seed: 11)
        let network = setup.network
        let dropout = Dropout(rates: [0.4, 0.25], seed: 3)
        let rowIndices = [17, 4, 900, 5, 6, 123_456]
        let (gradient, outcome) = rowIndices.withUnsafeBufferPointer { rows in
            setup.gradient(dropout: DropoutDraw(dropout: dropout, step: 42, rowIndices: rows.baseAddress!))
        }
        let masks = scales(dropout, network: network, step: 42, rowIndices: rowIndices)
        // Some units dropped and some kept in each layer, so both cases are exercised.
        for mask in masks { #expect(mask.contains(0) && mask.contains { $0 > 1 }) }

        let model = ReferenceNetwork(network: network, masks: masks.map { $0.map(Double.init) })
        var reference = setup.parameters.array.map(Double.init)
        let x = setup.inputs.array.map(Double.init)
        let referenceLoss = model.loss(parameters: reference, inputs: x, targets: .labels(setup.labels))
        #expect(abs(outcome.lossSum - referenceLoss) <= 1e-5 * max(1, abs(referenceLoss)),
                "network loss \(outcome.lossSum) vs reference \(referenceLoss)")
        let h = 1e-6
        for index in 0..<network.parameterCount {
            let saved = reference[index]
            reference[index] = saved + h
            let plus = model.loss(parameters: reference, inputs: x, targets: .labels(setup.labels))
            reference[index] = saved - h
            let minus = model.loss(parameters: reference, inputs: x, targets: .labels(setup.labels))
            reference[index] = saved
            let numerical = (plus - minus) / (2 * h)
            #expect(abs(Double(gradient[index]) - numerical) <= 1e-4 * max(1, abs(numerical)),
                    "\(activation) parameter \(index): analytic \(gradient[index]), numerical \(numerical)")
        }
    }

    @Test func rateZeroIsBitwiseTheGradientWithoutDropout() {
        let setup = Setup(activation: .tanh, seed: 5)
        let rowIndices = Array(0..<setup.rows)
        let (plain, plainOutcome) = setup.gradient(dropout: nil, workspaceDropout: false)
        let (zero, zeroOutcome) = rowIndices.withUnsafeBufferPointer { rows in
            setup.gradient(dropout: DropoutDraw(dropout: Dropout(rates: [0, 0], seed: 9), step: 3,
                                                rowIndices: rows.baseAddress!))
        }
        #expect(plain == zero)
        #expect(plainOutcome.lossSum == zeroOutcome.lossSum)
    }

    @Test(arguments: [Float(0.1), 0.3, 0.5, 0.9])
    func measuredRateIsTheSetting(rate: Float) {
        // 2,000 rows x 257 units (odd, so the last unit of a row uses half a hash) over 3 steps:
        // 1.5 million draws; the binomial standard deviation of the measured rate is below
        // 4.1e-4, and the tolerance is 5 of them.
        let dropout = Dropout(rates: [rate], seed: 1)
        let network = Network(layerSizes: [3, 257, 2], hiddenActivation: .relu, loss: .crossEntropy)
        var dropped = 0, total = 0
        var keptScale: Float = 0
        for step in 0..<3 {
            for mask in scales(dropout, network: network, step: step, rowIndices: Array(0..<2000)) {
                dropped += mask.count(where: { $0 == 0 })
                total += mask.count
                keptScale = mask.first { $0 != 0 } ?? keptScale
            }
        }
        let measured = Double(dropped) / Double(total)
        let deviation = (Double(rate) * (1 - Double(rate)) / Double(total)).squareRoot()
        #expect(abs(measured - Double(rate)) <= 5 * deviation, "rate \(rate): measured \(measured)")
        #expect(keptScale == 1 / (1 - rate))
    }

    @Test func masksDependOnSeedStepRowAndUnitOnly() {
        let network = Network(layerSizes: [3, 64, 32, 2], hiddenActivation: .relu, loss: .crossEntropy)
        let dropout = Dropout(rates: [0.5, 0.5], seed: 7)
        let all = scales(dropout, network: network, step: 10, rowIndices: [3, 8, 1000, 42])
        // The same rows in another order and another grouping: each row's mask is unchanged.
        let some = scales(dropout, network: network, step: 10, rowIndices: [1000, 3])
        for layer in 0..<2 {
            let width = network.layerSizes[layer + 1]
            #expect(Array(some[layer][0..<width]) == Array(all[layer][(2 * width)..<(3 * width)]))
            #expect(Array(some[layer][width..<(2 * width)]) == Array(all[layer][0..<width]))
        }
        // Another step, another seed or another row draws another mask.
        #expect(scales(dropout, network: network, step: 11, rowIndices: [3])[0] != Array(all[0][0..<64]))
        #expect(scales(Dropout(rates: [0.5, 0.5], seed: 8), network: network, step: 10, rowIndices: [3])[0]
                != Array(all[0][0..<64]))
        #expect(Array(all[0][0..<64]) != Array(all[0][64..<128]))
        // The two layers' masks of one row are not the same draw.
        #expect(Array(all[0][0..<32]) != all[1][0..<32].map { $0 })
    }

    @Test func evaluationNeverDrops() {
        let setup = Setup(activation: .relu, seed: 2)
        let workspace = setup.network.makeWorkspace(maxRows: setup.rows, dropout: true)
        let first = setup.network.forward(parameters: setup.parameters.pointer, inputs: setup.inputs.pointer,
                                          rows: setup.rows, workspace: workspace)
        let values = Array(UnsafeBufferPointer(start: first, count: setup.rows * 3))
        let plain = setup.network.makeWorkspace(maxRows: setup.rows)
        let second = setup.network.forward(parameters: setup.parameters.pointer, inputs: setup.inputs.pointer,
                                           rows: setup.rows, workspace: plain)
        #expect(values == Array(UnsafeBufferPointer(start: second, count: setup.rows * 3)))
    }
}
