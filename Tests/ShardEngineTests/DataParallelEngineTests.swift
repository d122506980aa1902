import Foundation
import Testing
@testable import ShardCore
@testable import ShardEngine

/// A stand-in model over plain buffers: shard s's "gradient" is a fixed pseudo-random vector
/// (or one shared vector), and update records which elements it was given.
final class RecordingWork: ShardWork {
    let count: Int
    let sameForEveryShard: Bool
    let updatesSeen: UnsafeMutablePointer<Int32>
    var lossPerShard: Double = 1
    /// Worker indices that computed each shard (each shard is computed once per step).
    /// [maxShards]: which worker computed each micro-shard. A raw buffer, not an Array: workers
    /// write different elements at once, which an Array's subscript setter may not (ThreadSanitizer
    /// reported it as an access race on the array).
    let computedByBuffer: UnsafeMutableBufferPointer<Int>
    var computedBy: [Int] { Array(computedByBuffer) }

    init(count: Int, sameForEveryShard: Bool = false, maxShards: Int = 64) {
        self.count = count
        self.sameForEveryShard = sameForEveryShard
        updatesSeen = .allocate(capacity: count)
        updatesSeen.initialize(repeating: 0, count: count)
        computedByBuffer = .allocate(capacity: maxShards)
        computedByBuffer.initialize(repeating: -1)
    }

    deinit {
        updatesSeen.deallocate()
        computedByBuffer.deallocate()
    }

    static func value(shard: Int, index: Int) -> Float {
        var generator = RandomGenerator(seed: UInt64(shard * 1_000_003 + index))
        return Float(generator.nextGaussian())
    }

    func computeShard(_ shard: Int, worker: Int, gradient: UnsafeMutablePointer<Float>) -> ShardOutcome {
        computedByBuffer[shard] = worker
        for index in 0..<count {
            gradient[index] = sameForEveryShard ? Float(index % 7) * 0.125 : Self.value(shard: shard, index: index)
        }
        return ShardOutcome(lossSum: lossPerShard * Double(shard + 1), correct: shard)
    }

    func update(range: Range<Int>, meanGradient: UnsafePointer<Float>) {
        for index in range { updatesSeen[index] += 1 }
    }
}

struct DataParallelEngineTests {
    @Test(arguments: [1, 2, 3, 4, 8])
    func identicalShardsAverageToOneShardsGradient(workers: Int) {
        // Horovod's check: every worker given the same data, the average equals one worker's
        // gradient. 4 shards of 1 row each: mean = 4 g / 4 = g, exact in binary floating point.
        let work = RecordingWork(count: 1000, sameForEveryShard: true)
        let engine = DataParallelEngine(workerCount: workers, parameterCount: 1000, maxShards: 4,
                                        work: work, processorCount: 2)
        engine.step(shardCount: 4, rowCount: 4)
        for index in 0..<1000 { #expect(engine.meanGradient[index] == Float(index % 7) * 0.125) }
    }

    @Test func meanGradientIsBitwiseTheSameForAnyWorkerCount() {
        let count = 10_007  // not a multiple of 16, so slice edges are exercised
        var reference: [Float]?
        for workers in [1, 2, 3, 4, 5, 8] {
            let work = RecordingWork(count: count)
            let engine = DataParallelEngine(workerCount: workers, parameterCount: count, maxShards: 7,
                                            work: work, processorCount: 2)
            let sums = engine.step(shardCount: 7, rowCount: 100)
            #expect(sums == ShardOutcome(lossSum: 28, correct: 21))  // 1+...+7 and 0+...+6
            let mean = engine.meanGradient.array
            if let reference { #expect(mean == reference, "workers \(workers)") } else { reference = mean }
            // Every element handed to update exactly once.
            #expect((0..<count).allSatisfy { work.updatesSeen[$0] == 1 })
            // Shards go to workers in contiguous blocks, all of them used when there is work.
            #expect(Set(work.computedBy.prefix(7)).count == min(workers, 7))
        }
        // And it is the plain fixed-order average: ((g0 + g1) + ...) * (1 / rows).
        for index in [0, 1, 5000, count - 1] {
            var sum: Float = 0
            for shard in 0..<7 { sum += RecordingWork.value(shard: shard, index: index) }
            #expect(reference![index] == sum * (1 / Float(100)))
        }
    }

    /// A lost wake-up hangs `step` forever, so the steps run on their own thread and the test
    /// waits for them with a deadline: a hang fails the test (leaving that thread blocked)
    /// instead of hanging the run. About 4 s here; the deadline leaves 30x room for a busy
    /// machine. The time limit is a second guard, for a hang outside the wait.
    @Test(.timeLimit(.minutes(3)))
    func manyStepsReuseTheWorkersWithoutLosingWakeUps() {
        // Thousands of handoffs, including ones where workers have parked in between.
        // Shared with the stepping thread, which alone touches them until it signals `done`
        // (the semaphore orders its writes before the reads below).
        nonisolated(unsafe) let work = RecordingWork(count: 64)
        nonisolated(unsafe) let engine = DataParallelEngine(workerCount: 3, parameterCount: 64, maxShards: 3,
                                                            work: work, processorCount: 4)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for step in 0..<3000 {
                engine.step(shardCount: 3, rowCount: 3)
                if step % 1000 == 999 { usleep(2000) }  // longer than the spin: workers park
            }
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + .seconds(120)) == .success else {
            Issue.record("3000 steps did not finish in 120 s: a wake-up was lost")
            return
        }
        #expect((0..<64).allSatisfy { work.updatesSeen[$0] == 3000 })
    }

    @Test func theCallersFloatingPointModeIsTheSameAfterTraining() {
        // Earlier tests may have left this thread flushing subnormals: start from a mode that
        // does not, so the check can see the engine's change being undone.
        let entry = FloatingPointMode.current
        defer { entry.restore() }
        FloatingPointMode.current.withFlushToZero(false).restore()
        let before = FloatingPointMode.current
        #expect(!before.flushesSubnormalsToZero)

        let work = RecordingWork(count: 256)
        let engine = DataParallelEngine(workerCount: 2, parameterCount: 256, maxShards: 2, work: work,
                                        processorCount: 2)
        let inside = FloatingPointMode.withSubnormalsFlushedToZero { () -> FloatingPointMode in
            for _ in 0..<10 { engine.step(shardCount: 2, rowCount: 2) }
            return FloatingPointMode.current
        }
        #expect(inside.flushesSubnormalsToZero)
        // The whole register: rounding, masks, sticky flags and the flush bits.
        #expect(FloatingPointMode.current == before, "before \(before), after \(FloatingPointMode.current)")
        // Restored on a throw too.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try FloatingPointMode.withSubnormalsFlushedToZero { () throws(Stop) in throw Stop() }
        }
        #expect(FloatingPointMode.current == before)
        // A subnormal survives on this thread again (last: it sets a sticky flag).
        #expect(opaque(Float.leastNormalMagnitude) / 4 != 0)
    }

    @Test func nonFiniteLossSkipsTheUpdate() {
        let work = RecordingWork(count: 32)
        work.lossPerShard = .nan
        let engine = DataParallelEngine(workerCount: 2, parameterCount: 32, maxShards: 2, work: work,
                                        processorCount: 2)
        let sums = engine.step(shardCount: 2, rowCount: 2)
        #expect(sums.lossSum.isNaN)
        #expect((0..<32).allSatisfy { work.updatesSeen[$0] == 0 })
    }
}

/// Hides a value from the optimiser, so the division above happens at run time, in the
/// thread's mode.
@inline(never) func opaque(_ value: Float) -> Float { value }

struct MatrixProductCeilingTests {
    @Test func everyParticipantReportsIntoItsOwnSlot() {
        // Three participants on two cores: each writes only its own slot; all are summed.
        let ceiling = MatrixProductCeiling(threads: 3, processorCount: 2)
        #expect(ceiling.gigaflops(duration: .milliseconds(5)) > 0)
    }
}
