import Foundation
import ShardCore
import Testing
@testable import ShardNetwork

/// Three updates of each optimizer on a weight and a bias with fixed gradients, against the
/// update rules written out independently here in Float64 (PyTorch's conventions).
struct OptimizerTests {
    // A 1x1 "network": weight at index 0 (decayed), bias at index 1 (never decayed).
    let layout = ParameterLayout(layerSizes: [1, 1])
    let gradients: [[Double]] = [[0.5, -0.25], [-1.0, 0.75], [0.125, 0.5]]
    let start: [Double] = [1.5, -0.5]

    func run(_ configuration: OptimizerConfiguration, learningRate: Double) -> [Float] {
        let optimizer = Optimizer(configuration: configuration, layout: layout)
        let parameters = FloatBuffer(start.map(Float.init))
        for step in gradients {
            optimizer.update(parameters: parameters, gradient: FloatBuffer(step.map(Float.init)),
                             learningRate: Float(learningRate))
        }
        return parameters.array
    }

    func expectClose(_ actual: [Float], _ expected: [Double]) {
        for (a, e) in zip(actual, expected) {
            #expect(abs(Double(a) - e) <= 1e-5 * max(1, abs(e)), "got \(a), expected \(e)")
        }
    }

    @Test func plainSGDWithWeightDecay() {
        var w = start
        for g in gradients {
            w[0] -= 0.1 * (g[0] + 0.01 * w[0])
            w[1] -= 0.1 * g[1]
        }
        expectClose(run(OptimizerConfiguration(kind: .sgd, weightDecay: 0.01), learningRate: 0.1), w)
    }

    @Test(arguments: [false, true])
    func momentumAndNesterov(nesterov: Bool) {
        var w = start, v = [0.0, 0.0]
        for g in gradients {
            for i in 0..<2 {
                let gi = g[i] + (i == 0 ? 0.001 * w[i] : 0)
                v[i] = 0.9 * v[i] + gi
                w[i] -= 0.05 * (nesterov ? gi + 0.9 * v[i] : v[i])
            }
        }
        let kind: OptimizerConfiguration.Kind = nesterov ? .nesterov : .momentum
        expectClose(run(OptimizerConfiguration(kind: kind, momentum: 0.9, weightDecay: 0.001), learningRate: 0.05), w)
    }

    @Test(arguments: [false, true])
    func adamAndAdamW(decoupled: Bool) {
        var w = start, m = [0.0, 0.0], v = [0.0, 0.0]
        let (b1, b2, eps, lr, decay) = (0.9, 0.999, 1e-8, 0.01, 0.1)
        for (t, g) in gradients.enumerated() {
            for i in 0..<2 {
                var gi = g[i]
                let d = i == 0 ? decay : 0
                if decoupled { w[i] -= lr * d * w[i] } else { gi += d * w[i] }
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mHat = m[i] / (1 - pow(b1, Double(t + 1)))
                let vHat = v[i] / (1 - pow(b2, Double(t + 1)))
                w[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        expectClose(run(OptimizerConfiguration(kind: decoupled ? .adamw : .adam, weightDecay: 0.1), learningRate: 0.01), w)
    }

    @Test func slicedUpdatesEqualOneWholeUpdate() {
        // The engine updates slices of the vector in parallel; that must not change the result.
        let layout = ParameterLayout(layerSizes: [3, 4, 2])
        let configuration = OptimizerConfiguration(kind: .adamw, weightDecay: 0.05)
        let whole = Optimizer(configuration: configuration, layout: layout)
        let sliced = Optimizer(configuration: configuration, layout: layout)
        let a = FloatBuffer((0..<layout.count).map { Float($0) * 0.1 })
        let b = FloatBuffer(a.array)
        let gradient = FloatBuffer((0..<layout.count).map { Float(($0 * 7) % 5) - 2 })
        for _ in 0..<2 {
            whole.update(parameters: a, gradient: gradient, learningRate: 0.01)
            for cut in stride(from: 0, to: layout.count, by: 5) {
                sliced.update(parameters: b, gradient: gradient.pointer, learningRate: 0.01,
                              range: cut..<min(cut + 5, layout.count))
            }
            sliced.finishStep()
        }
        #expect(a.array == b.array)
    }
}

struct LearningRateScheduleTests {
    @Test func warmupThenConstant() {
        let schedule = LearningRateSchedule(baseRate: 0.1, warmupSteps: 4)
        #expect(abs(schedule.rate(atStep: 0) - 0.025) < 1e-7)
        #expect(abs(schedule.rate(atStep: 3) - 0.1) < 1e-7)
        #expect(schedule.rate(atStep: 100) == 0.1)
    }

    @Test func stepDecay() {
        let schedule = LearningRateSchedule(baseRate: 1, decay: .step(everySteps: 10, gamma: 0.5))
        #expect(schedule.rate(atStep: 9) == 1)
        #expect(schedule.rate(atStep: 10) == 0.5)
        #expect(schedule.rate(atStep: 25) == 0.25)
    }

    @Test func cosineDecayEndsAtTheMinimum() {
        let schedule = LearningRateSchedule(baseRate: 1, decay: .cosine(totalSteps: 102, minimum: 0.1),
                                            warmupSteps: 2)
        #expect(abs(schedule.rate(atStep: 2) - 1) < 1e-6)
        #expect(abs(schedule.rate(atStep: 52) - 0.55) < 1e-6)  // halfway: the mean of 1 and 0.1
        #expect(abs(schedule.rate(atStep: 102) - 0.1) < 1e-6)
    }
}

struct ParameterLayoutTests {
    @Test func parameterCountMatchesTheLayoutAndRefusesOverflow() {
        for sizes in [[784, 256, 128, 10], [4, 3], [1, 1, 1, 1]] {
            #expect(ParameterLayout.parameterCount(layerSizes: sizes) == ParameterLayout(layerSizes: sizes).count)
        }
        #expect(ParameterLayout.parameterCount(layerSizes: [1 << 40, 1 << 40, 3]) == nil)
        #expect(ParameterLayout.parameterCount(layerSizes: [Int.max, 1]) == nil)
    }

    @Test func namesShapesAndOffsets() {
        let layout = ParameterLayout(layerSizes: [784, 256, 10])
        #expect(layout.entries.map(\.name) == ["dense0.weight", "dense0.bias", "dense1.weight", "dense1.bias"])
        #expect(layout.entry(named: "dense1.weight")?.shape == [256, 10])
        #expect(layout.entry(named: "dense1.weight")?.offset == 784 * 256 + 256)
        #expect(layout.count == 784 * 256 + 256 + 256 * 10 + 10)
    }
}
