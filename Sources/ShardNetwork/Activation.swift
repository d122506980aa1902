import CKernels

/// Element-wise activations of hidden layers (and of the output layer under MSE).
///
/// Each derivative is written in terms of the activation's *output* a = f(z), so the backward
/// pass needs only the stored activations: relu' = [a > 0], tanh' = 1 - a^2,
/// sigmoid' = a (1 - a), identity' = 1.
public enum Activation: String, CaseIterable, Sendable {
    case relu, tanh, sigmoid, identity

    /// Applies f in place to `count` values.
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for index in 0..<count { values[index] = max(values[index], 0) }
        case .tanh:
            shard_tanh_in_place(values, count)
        case .sigmoid:
            // Never overflows: exp of a non-positive number only (Kernels.c).
            shard_sigmoid_in_place(values, count)
        case .identity:
            break
        }
    }

    /// Turns dL/da into dL/dz in place: `gradient[i] *= f'(z_i)`, given a = f(z) in `outputs`.
    @inline(__always)
    func backward(
        outputs: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int
    ) {
        switch self {
        case .relu:
            // Explicit SIMD: written as a scalar select, the compiler emitted a branch per
            // element, and this loop took 7 % of a training step.
            var index = 0
            while index + 8 <= count {
                let a = UnsafeRawPointer(outputs + index).loadUnaligned(as: SIMD8<Float>.self)
                var g = UnsafeRawPointer(gradient + index).loadUnaligned(as: SIMD8<Float>.self)
                g.replace(with: 0, where: a .<= 0)
                UnsafeMutableRawPointer(gradient + index).storeBytes(of: g, as: SIMD8<Float>.self)
                index += 8
            }
            while index < count {
                if outputs[index] <= 0 { gradient[index] = 0 }
                index += 1
            }
        case .tanh:
            for index in 0..<count {
                let a = outputs[index]
                gradient[index] *= 1 - a * a
            }
        case .sigmoid:
            for index in 0..<count {
                let a = outputs[index]
                gradient[index] *= a * (1 - a)
            }
        case .identity:
            break
        }
    }
}
