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

/// Not Sendable: `stepCount` is advanced (`finishStep()`) by the trainer's thread alone. The
/// engine's workers may call `update(parameters:gradient:learningRate:range:)` at once on
/// disjoint ranges: it writes only that range of the parameters and slots.
public final class Optimizer {
    public let configuration: OptimizerConfiguration
    public let layout: ParameterLayout
    /// State buffers named by `configuration.slotNames`, each laid out like the parameters.
    public let slots: [FloatBuffer]
    /// Updates applied so far (Adam's bias correction counts from 1). Advanced only by
    /// `finishStep()`, set only by `restore`.
    public private(set) var stepCount: Int = 0

    public init(configuration: OptimizerConfiguration, layout: ParameterLayout) {
        self.configuration = configuration
        self.layout = layout
        slots = configuration.slotNames.map { _ in FloatBuffer(count: layout.count) }
    }

    /// Applies one update to `parameters` from the mean gradient `gradient`.
    public func update(parameters: FloatBuffer, gradient: FloatBuffer, learningRate: Float) {
        update(parameters: parameters, gradient: UnsafePointer(gradient.pointer),
               learningRate: learningRate, range: 0..<layout.count)
        finishStep()
    }

    /// Counts one update as applied, once every slice of it is done.
    public func finishStep() { stepCount += 1 }

    /// The optimizer's saved state: its slots in `configuration.slotNames` order, each laid out
    /// by `layout`, and the updates applied.
    public var savedSlots: [(name: String, values: FloatBuffer)] {
        Array(zip(configuration.slotNames, slots))
    }

    /// Continues from a saved state. The slots must be this optimizer's, by name and in order,
    /// each of the layout's size; otherwise nothing changes and the mismatch is described.
    public func restore(stepCount: Int, slots saved: [(name: String, values: FloatBuffer)]) -> String? {
        let names = saved.map(\.name)
        guard names == configuration.slotNames else {
            return "its optimizer slots [\(names.joined(separator: ", "))] are not \(configuration.kind.rawValue)'s [\(configuration.slotNames.joined(separator: ", "))]"
        }
        guard saved.allSatisfy({ $0.values.count == layout.count }), stepCount >= 0 else {
            return "its optimizer slots do not have the network's \(layout.count) parameters"
        }
        for (slot, values) in zip(slots, saved.map(\.values)) { slot.copy(from: values) }
        self.stepCount = stepCount
        return nil
    }

    /// The same update restricted to `range` of the flat vector, so workers can each update a
    /// slice; the caller calls `finishStep()` once all slices are done.
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
                Self.forEachLane(lower..<upper) { i, lanes in
                    let wi = lanes.load(w, i), gi = lanes.load(g, i)
                    lanes.store(wi - learningRate * (gi + decay * wi), w, i)
                }
            case .sgd, .momentum, .nesterov:
                let v = slots[0].pointer
                let mu = c.momentum
                if c.kind == .nesterov {
                    Self.forEachLane(lower..<upper) { i, lanes in
                        let wi = lanes.load(w, i)
                        let gradientWithDecay = lanes.load(g, i) + decay * wi
                        let vi = mu * lanes.load(v, i) + gradientWithDecay
                        lanes.store(vi, v, i)
                        lanes.store(wi - learningRate * (gradientWithDecay + mu * vi), w, i)
                    }
                } else {
                    Self.forEachLane(lower..<upper) { i, lanes in
                        let wi = lanes.load(w, i)
                        let vi = mu * lanes.load(v, i) + (lanes.load(g, i) + decay * wi)
                        lanes.store(vi, v, i)
                        lanes.store(wi - learningRate * vi, w, i)
                    }
                }
            case .adam, .adamw:
                let m = slots[0].pointer, v = slots[1].pointer
                let t = Float(stepCount + 1)
                let correction1 = 1 - powf(c.beta1, t)
                let correction2 = 1 - powf(c.beta2, t)
                let (beta1, beta2, epsilon) = (c.beta1, c.beta2, c.epsilon)
                let decoupled = c.kind == .adamw
                Self.forEachLane(lower..<upper) { i, lanes in
                    var wi = lanes.load(w, i)
                    var gi = lanes.load(g, i)
                    if decoupled { wi = wi - learningRate * decay * wi } else { gi = gi + decay * wi }
                    let mi = beta1 * lanes.load(m, i) + (1 - beta1) * gi
                    let vi = beta2 * lanes.load(v, i) + (1 - beta2) * gi * gi
                    lanes.store(mi, m, i)
                    lanes.store(vi, v, i)
                    let mHat = mi / correction1
                    let vHat = vi / correction2
                    lanes.store(wi - learningRate * mHat / (vHat.squareRoot() + epsilon), w, i)
                }
            }
        }
    }

    /// Runs `body` over `range` eight elements at a time, then one at a time for the rest.
    /// Both widths compute each element with the same operations in the same order, so where
    /// a slice boundary falls never changes a result (the engine updates slices in parallel).
    /// Written with explicit vectors: the scalar loops did not vectorise and cost more than
    /// the matrix products at batch 32.
    @inline(__always)
    static func forEachLane(_ range: Range<Int>, _ body: (Int, Lanes) -> Void) {
        var index = range.lowerBound
        while index + 8 <= range.upperBound {
            body(index, .eight)
            index += 8
        }
        while index < range.upperBound {
            body(index, .one)
            index += 1
        }
    }
}

/// Loads and stores of one or eight floats, as a SIMD8 (unused lanes are zero).
enum Lanes {
    case one, eight

    @inline(__always)
    func load(_ pointer: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
        switch self {
        case .eight: return UnsafeRawPointer(pointer + index).loadUnaligned(as: SIMD8<Float>.self)
        case .one: return SIMD8<Float>(pointer[index], 0, 0, 0, 0, 0, 0, 0)
        }
    }

    @inline(__always)
    func load(_ pointer: UnsafeMutablePointer<Float>, _ index: Int) -> SIMD8<Float> {
        load(UnsafePointer(pointer), index)
    }

    @inline(__always)
    func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, _ index: Int) {
        switch self {
        case .eight: UnsafeMutableRawPointer(pointer + index).storeBytes(of: value, as: SIMD8<Float>.self)
        case .one: pointer[index] = value[0]
        }
    }
}
