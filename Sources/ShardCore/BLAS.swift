import CBLAS
import CThreadSupport

/// Matrix products through OpenBLAS. All matrices are row-major.
public enum BLAS {
    /// ShardTrain runs its own workers; OpenBLAS's internal threads would fight them for the
    /// cores (measured: 73-187 GFLOP/s erratic with them on, 180-200 with them off). Call once
    /// at start-up, before any product.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// The kernel family OpenBLAS chose at load time (e.g. `Cooperlake`, `Haswell`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The kernel family OpenBLAS should use on this CPU when its own detection fell back to a
    /// generic one; nil when the detected family is already right.
    ///
    /// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and picks `Prescott` (SSE3):
    /// measured on this project's machine, 28k samples/s against 91k with the AVX-512
    /// (`SkylakeX`) kernels and 60k with the AVX2 (`Haswell`) ones. OpenBLAS reads its choice
    /// from OPENBLAS_CORETYPE once, when the library loads, so the caller must set that and
    /// start the process again (the CLI does, before any work).
    public static func betterCoreType() -> String? {
        let fastFamilies = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]
        if fastFamilies.contains(coreName.lowercased()) { return nil }
        if shard_cpu_supports_avx512() != 0 { return "SkylakeX" }
        if shard_cpu_supports_avx2_fma() != 0 { return "Haswell" }
        return nil
    }

    /// C = alpha * op(A) . op(B) + beta * C, with op(A) [m x k], op(B) [k x n], C [m x n].
    /// `lda`, `ldb` and `ldc` are the row strides of the matrices as stored.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
