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
        return job.slots.reduce(0) { $0 + $1.gigaflops }
    }
}

/// Each participant multiplies its own matrices and writes its result into its own slot,
/// allocated before the first run: no two threads write one object (a shared `[Double]` that
/// every participant assigned into would be a data race on the array). `duration` is written
/// by the caller before `WorkerPool.run`, which publishes it to the workers.
private final class SgemmJob: PoolJob {
    final class Slot {
        let a = FloatBuffer(count: 128 * 784)
        let b = FloatBuffer(count: 784 * 256)
        let c = FloatBuffer(count: 128 * 256)
        /// Written by this slot's participant only, read by the caller after the run.
        var gigaflops = 0.0
    }

    let (m, n, k) = (128, 256, 784)
    var duration = Duration.zero
    let slots: [Slot]

    init(participants: Int) {
        slots = (0..<participants).map { _ in Slot() }
        for slot in slots {
            slot.a.fill(with: 0.5)
            slot.b.fill(with: 0.25)
        }
    }

    func run(participant: Int) {
        let slot = slots[participant]
        let (a, b, c) = (slot.a, slot.b, slot.c)
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
        slot.gigaflops = Double(2 * m * n * k * calls) / (Double(seconds) + Double(attoseconds) * 1e-18) / 1e9
    }
}
