import CKernels
import Foundation
import Testing
@testable import ShardNetwork

/// The vectorised tanh, sigmoid and exp against libm in Float64, over a wide sweep: every
/// 997th Float from 1e-30 to 1e4 (both signs), a dense grid on [-20, 20], the grid the
/// network meets most (200,001 points in [-100, 100]), the extremes and tiny values, and the
/// worst inputs found by a finer sweep.
///
/// The claim in Kernels.h: within 4.5 ulp of the exact value where the exact value is at
/// least 1e-7, within 1e-7 absolute below. Measured (a C driver over 35 million inputs: every
/// 61st Float in [1e-30, 1e4] both signs, and [-20, 20] in steps of 1e-5, compiled with
/// clang -O3 like the package): tanh 4.07 ulp at x = 0.517047167, sigmoid 4.06 at
/// -4.50419998, exp 3.00 at 59.9576988. The kernels are part of the training numerics, so
/// they are documented as they are rather than changed.
struct ActivationKernelTests {
    static let ulpBound = 4.5

    static let inputs: [Float] = {
        var values: [Float] = (-100_000...100_000).map { Float($0) / 1000 }
        values += (-200_000...200_000).map { Float($0) * 1e-4 }
        var bits = Float(1e-30).bitPattern
        while bits <= Float(1e4).bitPattern {
            let x = Float(bitPattern: bits)
            values += [x, -x]
            bits += 997
        }
        return values + [-1e-30, 1e-30, -1e-7, 1e-7, 0, -0.0, 87.5, -87.5, 1e4, -1e4,
                         .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                         0.517047167, -0.517047167, -4.50419998, 4.50419998, 59.9576988]
    }()

    /// The largest error over the sweep, in ulps of the exact value (where it is at least
    /// 1e-7), and whether every smaller exact value was met within 1e-7.
    func worstError(_ outputs: [Float], _ inputs: [Float], exact: (Double) -> Double)
        -> (ulps: Double, at: Float, smallValuesWithin: Bool)
    {
        var worst = (ulps: 0.0, at: Float(0), smallValuesWithin: true)
        for (x, y) in zip(inputs, outputs) {
            let value = exact(Double(x))
            let error = abs(Double(y) - value)
            if abs(value) < 1e-7 {
                if error > 1e-7 { worst.smallValuesWithin = false }
            } else if error / Double(Float(value).ulp) > worst.ulps {
                worst.ulps = error / Double(Float(value).ulp)
                worst.at = x
            }
        }
        return worst
    }

    @Test func tanhMatchesLibm() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { shard_tanh_in_place($0.baseAddress, $0.count) }
        let worst = worstError(values, Self.inputs) { Foundation.tanh($0) }
        #expect(worst.ulps <= Self.ulpBound, "tanh: \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.ulps > 4, "the sweep no longer reaches the documented worst case: \(worst.ulps) ulp")
        #expect(worst.smallValuesWithin)
    }

    @Test func sigmoidMatchesLibmAndNeverOverflows() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { shard_sigmoid_in_place($0.baseAddress, $0.count) }
        #expect(values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        let worst = worstError(values, Self.inputs) { 1 / (1 + Foundation.exp(-$0)) }
        #expect(worst.ulps <= Self.ulpBound, "sigmoid: \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.smallValuesWithin)
    }

    /// exp alone (a test helper in the header) keeps 4 ulp: measured 3.00.
    @Test func expMatchesLibmInItsRange() {
        let inputs = Self.inputs.filter { $0 >= -87 && $0 <= 88 }
        var outputs = [Float](repeating: 0, count: inputs.count)
        outputs.withUnsafeMutableBufferPointer { out in
            inputs.withUnsafeBufferPointer { shard_exp($0.baseAddress, out.baseAddress, $0.count) }
        }
        for (x, y) in zip(inputs, outputs) {
            let exact = Foundation.exp(Double(x))
            // Near -87 the result is subnormal, and other tests may have left this thread
            // flushing subnormals to zero: there, anything below the smallest normal passes.
            let tolerance = max(4 * Double(Float(exact).ulp), 2 * Double(Float.leastNormalMagnitude))
            if abs(Double(y) - exact) > tolerance {
                Issue.record("exp(\(x)) = \(y), exact \(exact)")
                break
            }
        }
    }
}
