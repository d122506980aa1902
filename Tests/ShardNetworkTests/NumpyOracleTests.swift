import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
import Testing
@testable import ShardNetwork

/// A two-layer network's outputs, loss and gradients equal those numpy computed
/// independently (scripts/make-test-fixtures.py wrote Tests/Fixtures/oracle-two-layer.h5).
struct NumpyOracleTests {
    static let fixture = "\(fixtures)/oracle-two-layer.h5"

    @Test(arguments: ["tanh_cross_entropy", "sigmoid_mse"])
    func forwardLossAndGradientsMatchNumpy(caseName: String) throws {
        let group = try HDF5File.open(Self.fixture).root.group(caseName)
        func floats(_ name: String) throws -> [Float] { try group.dataset(name).read(as: Float.self) }
        func doubles(_ name: String) throws -> [Double] { try group.dataset(name).read(as: Double.self) }
        let x = try floats("x")
        let labels = try group.dataset("labels").read(as: Int64.self).map(Int32.init)
        let rows = labels.count
        let hidden = Activation(rawValue: try group.stringAttribute("hidden_activation"))!
        let loss = Loss(rawValue: try group.stringAttribute("loss"))!
        let network = Network(layerSizes: [5, 3, 4], hiddenActivation: hidden, loss: loss)

        let parameters = FloatBuffer(count: network.parameterCount)
        for (entry, name) in zip(network.layout.entries, ["w1", "b1", "w2", "b2"]) {
            for (offset, value) in try floats(name).enumerated() { parameters[entry.offset + offset] = value }
        }
        let workspace = network.makeWorkspace(maxRows: rows)
        let inputs = FloatBuffer(x)
        let output = network.forward(parameters: parameters.pointer, inputs: inputs.pointer, rows: rows,
                                     workspace: workspace)
        for (index, expected) in try doubles("output").enumerated() {
            #expect(abs(Double(output[index]) - expected) <= 1e-5, "output \(index)")
        }

        let gradient = FloatBuffer(count: network.parameterCount)
        let outcome = labels.withUnsafeBufferPointer {
            network.accumulateGradient(parameters: parameters.pointer, inputs: inputs.pointer,
                                       targets: .labels($0.baseAddress!), rows: rows,
                                       workspace: workspace, gradient: gradient.pointer)
        }
        let expectedLoss = try group.doubleAttribute("loss_value")
        #expect(abs(outcome.lossSum / Double(rows) - expectedLoss) <= 1e-5 * max(1, expectedLoss))
        for (entry, name) in zip(network.layout.entries, ["dw1", "db1", "dw2", "db2"]) {
            for (offset, expected) in try doubles(name).enumerated() {
                let mean = Double(gradient[entry.offset + offset]) / Double(rows)
                #expect(abs(mean - expected) <= 1e-5, "\(entry.name)[\(offset)]: \(mean) vs numpy \(expected)")
            }
        }
    }
}
