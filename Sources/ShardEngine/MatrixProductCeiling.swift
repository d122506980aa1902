import ShardCore

/// The ceiling training throughput is compared with: sgemm GFLOP/s on the training's
/// largest product (128 x 784 . 784 x 256), run by `threads` threads of the engine's own
/// worker pool at once (one BLAS thread each), for about `duration` per measurement. The
/// threads and matrices are made once, so repeated measurements allocate nothing.
public final class MatrixProductCeiling {
    private let pool: WorkerPool
    private let job: SgemmJob

    public init(threads: Int, processorCount: Int) {
        pool = WorkerPool(participantCount: threads, processorCount: processorCount)
        job = SgemmJob(participants: threads)
    }

    deinit { pool.shutdown() }

    public func gigaflops(duration: Duration = .milliseconds(200)) -> Double {
        job.duration = duration
        pool.run(job)
        return job.gigaflops.reduce(0, +)
    }
}

private final class SgemmJob: PoolJob, @unchecked Sendable {
    let (m, n, k) = (128, 256, 784)
    var duration = Duration.zero
    var gigaflops: [Double]
    let matrices: [(a: FloatBuffer, b: FloatBuffer, c: FloatBuffer)]

    init(participants: Int) {
        gigaflops = [Double](repeating: 0, count: participants)
        matrices = (0..<participants).map { _ in
            (FloatBuffer(count: 128 * 784), FloatBuffer(count: 784 * 256), FloatBuffer(count: 128 * 256))
        }
        for (a, b, _) in matrices {
            a.fill(with: 0.5)
            b.fill(with: 0.25)
        }
    }

    func run(participant: Int) {
        let (a, b, c) = matrices[participant]
        let clock = ContinuousClock()
        var calls = 0
        let start = clock.now
        while clock.now - start < duration {
            for _ in 0..<20 {
                BLAS.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.pointer, lda: k,
                          b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
            }
            calls += 20
        }
        let (seconds, attoseconds) = (clock.now - start).components
        gigaflops[participant] = Double(2 * m * n * k * calls) / (Double(seconds) + Double(attoseconds) * 1e-18) / 1e9
    }
}
