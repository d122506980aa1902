import CBLAS

/// Matrix products through OpenBLAS. All matrices are row-major.
public enum BLAS {
    /// ShardTrain runs its own workers; OpenBLAS's internal threads would fight them for the
    /// cores (measured: 73-187 GFLOP/s erratic with them on, 180-200 with them off). Call once
    /// at start-up, before any product.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
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
