import ShardCore
import Testing
@testable import ShardNetwork

/// The article's worked example: one weight w = 5, input x = 2, target y = 6, quadratic loss
/// L = 1/2 (w.x - y)^2, learning rate 0.1. dL/dw = (w.x - y).x = 8, and one SGD step gives
/// w = 5 - 0.1 * 8 = 4.2. ShardTrain's MSE is exactly this per sample (1/2 sum of squares).
struct WorkedExampleTests {
    @Test func oneWeightOneStep() {
        let network = Network(layerSizes: [1, 1], hiddenActivation: .identity, loss: .meanSquaredError)
        let parameters = FloatBuffer([5, 0])  // dense0.weight = 5, dense0.bias = 0
        let gradient = FloatBuffer(count: 2)
        let inputs = FloatBuffer([2])
        let target = FloatBuffer([6])
        let outcome = network.accumulateGradient(
            parameters: parameters.pointer, inputs: inputs.pointer, targets: .values(target.pointer),
            rows: 1, workspace: network.makeWorkspace(maxRows: 1), gradient: gradient.pointer)
        #expect(outcome.lossSum == 8)  // 1/2 (10 - 6)^2
        #expect(gradient[0] == 8)
        let optimizer = Optimizer(configuration: OptimizerConfiguration(kind: .sgd), layout: network.layout)
        optimizer.update(parameters: parameters, gradient: gradient, learningRate: 0.1)
        #expect(abs(parameters[0] - 4.2) < 1e-6)
    }
}
