import ShardCore

#if canImport(Glibc)
import Glibc
#endif

/// The optimizers, as one general rule per family over flat buffers (the layout tells only
/// which slices are weights, for weight decay).
///
/// SGD family (PyTorch's conventions, so results compare):
///   g = grad + weightDecay * w        (weights only)
///   v = momentum * v + g
///   w -= lr * (nesterov ? g + momentum * v : v)     (plain SGD when momentum = 0)
/// Adam: g = grad + weightDecay * w (L2 in the gradient); AdamW: w -= lr * weightDecay * w
/// (decoupled) then, for both,
///   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
///   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
public struct OptimizerConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case sgd, momentum, nesterov, adam, adamw
    }

    public var kind: Kind
    public var momentum: Float
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float

    public init(kind: Kind, momentum: Float = 0, weightDecay: Float = 0, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.kind = kind
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Names of the per-parameter state buffers this optimizer keeps, in order.
    public var slotNames: [String] {
        switch kind {
        case .sgd: return momentum != 0 ? ["velocity"] : []
        case .momentum, .nesterov: return ["velocity"]
        case .adam, .adamw: return ["first_moment", "second_moment"]
        }
    }
}

public final class Optimizer: @unchecked Sendable {
    public let configuration: OptimizerConfiguration
    public let layout: ParameterLayout
    /// State buffers named by `configuration.slotNames`, each laid out like the parameters.
    public let slots: [FloatBuffer]
    /// Updates applied so far (Adam's bias correction counts from 1).
    public var stepCount: Int = 0

    public init(configuration: OptimizerConfiguration, layout: ParameterLayout) {
        self.configuration = configuration
        self.layout = layout
        slots = configuration.slotNames.map { _ in FloatBuffer(count: layout.count) }
    }

    /// Applies one update to `parameters` from the mean gradient `gradient`.
    public func update(parameters: FloatBuffer, gradient: FloatBuffer, learningRate: Float) {
        update(parameters: parameters, gradient: UnsafePointer(gradient.pointer),
               learningRate: learningRate, range: 0..<layout.count)
        stepCount += 1
    }

    /// The same update restricted to `range` of the flat vector, so workers can each update a
    /// slice; `stepCount` is advanced by the caller once all slices are done.
    public func update(parameters: FloatBuffer, gradient: UnsafePointer<Float>,
                       learningRate: Float, range: Range<Int>) {
        let c = configuration
        for entry in layout.entries {
            let lower = max(entry.range.lowerBound, range.lowerBound)
            let upper = min(entry.range.upperBound, range.upperBound)
            guard lower < upper else { continue }
            let decay = entry.isWeight ? c.weightDecay : 0
            let w = parameters.pointer, g = gradient
            switch c.kind {
            case .sgd where c.momentum == 0:
                for i in lower..<upper { w[i] -= learningRate * (g[i] + decay * w[i]) }
            case .sgd, .momentum, .nesterov:
                let v = slots[0].pointer
                let mu = c.momentum
                let nesterov = c.kind == .nesterov
                for i in lower..<upper {
                    let gradientWithDecay = g[i] + decay * w[i]
                    v[i] = mu * v[i] + gradientWithDecay
                    w[i] -= learningRate * (nesterov ? gradientWithDecay + mu * v[i] : v[i])
                }
            case .adam, .adamw:
                let m = slots[0].pointer, v = slots[1].pointer
                let t = Float(stepCount + 1)
                let correction1 = 1 - powf(c.beta1, t)
                let correction2 = 1 - powf(c.beta2, t)
                let decoupled = c.kind == .adamw
                for i in lower..<upper {
                    var gi = g[i]
                    if decoupled { w[i] -= learningRate * decay * w[i] } else { gi += decay * w[i] }
                    m[i] = c.beta1 * m[i] + (1 - c.beta1) * gi
                    v[i] = c.beta2 * v[i] + (1 - c.beta2) * gi * gi
                    let mHat = m[i] / correction1
                    let vHat = v[i] / correction2
                    w[i] -= learningRate * mHat / (vHat.squareRoot() + c.epsilon)
                }
            }
        }
    }
}
