import CKernels
import Foundation
import Testing
@testable import ShardNetwork

/// The vectorised tanh, sigmoid and exp against libm in Float64, over the whole range the
/// network meets: 200,001 points in [-100, 100] plus the extremes and tiny values.
struct ActivationKernelTests {
    static let inputs: [Float] = (-100_000...100_000).map { Float($0) / 1000 }
        + [-1e-30, 1e-30, -1e-7, 1e-7, 0, -0.0, 87.5, -87.5, 1e4, -1e4, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]

    /// 4 ulp of the exact value, or 1e-7 absolute where the exact value is below 1e-7.
    func expectClose(_ got: Float, _ exact: Double, _ what: String, _ x: Float) {
        let tolerance = abs(exact) < 1e-7 ? 1e-7 : 4 * Double(Float(exact).ulp)
        #expect(abs(Double(got) - exact) <= tolerance, "\(what)(\(x)) = \(got), exact \(exact)")
    }

    @Test func tanhMatchesLibm() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { shard_tanh_in_place($0.baseAddress, $0.count) }
        for (x, y) in zip(Self.inputs, values) { expectClose(y, Foundation.tanh(Double(x)), "tanh", x) }
    }

    @Test func sigmoidMatchesLibmAndNeverOverflows() {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { shard_sigmoid_in_place($0.baseAddress, $0.count) }
        for (x, y) in zip(Self.inputs, values) {
            #expect(y.isFinite && y >= 0 && y <= 1)
            expectClose(y, 1 / (1 + Foundation.exp(-Double(x))), "sigmoid", x)
        }
    }

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
            #expect(abs(Double(y) - exact) <= tolerance, "exp(\(x)) = \(y), exact \(exact)")
        }
    }
}
