import CThreadSupport
import ShardCore
import Dispatch
import Synchronization

/// Work the pool runs on every participant at once. `participant` 0 is the calling thread.
protocol PoolJob: AnyObject {
    func run(participant: Int)
}

/// A fork-join pool of persistent worker threads, driven by Dispatch.
///
/// Threading rules (the whole engine depends on these):
/// - `run(_:)` is called from one thread only (the trainer's); it publishes the job by
///   storing it and then incrementing `generation` with release ordering. Workers read the job
///   only after an acquiring load sees the new generation, so they see everything the caller
///   wrote before `run` (the batch, the learning rate, the parameters).
/// - Each worker decrements `remaining` (acquire-release) when its part is done; `run` returns
///   only when it reaches 0, so the caller then sees everything the workers wrote.
/// - Between jobs a worker spins (with the CPU's pause hint) for up to `spinLimit`, because
///   waking a parked thread costs about 42 us on this class of machine while a spinning one
///   answers in about 0.1 us; then it parks on its own semaphore. Parking uses a `sleeping`
///   flag checked again after it is set (sequentially consistent on both sides), so a wake-up
///   is never lost: whoever flips the flag back owns the one signal.
/// - With more participants than processors, spinning would steal time from the threads
///   doing work, so workers and caller park at once.
/// - No lock is taken and nothing is allocated per job; the only system calls are the
///   semaphore wait/signal of a parked thread.
///
/// `@unchecked Sendable` because the workers' closures hold the pool, and `job` is a plain
/// stored reference shared with them: it is written only by the caller, before the releasing
/// `generation` increment that publishes it, and read by workers only after their acquiring
/// load sees that generation, never while `run` can write it again (`run` returns only after
/// every worker's acquire-release decrement of `remaining`). The jobs themselves need not be
/// Sendable: what they hold is shared under the same two rules.
final class WorkerPool: @unchecked Sendable {
    let participantCount: Int
    private let spinLimit: Duration
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let callerSleeping = Atomic<Bool>(false)
    private let callerWake = DispatchSemaphore(value: 0)
    private let workers: [WorkerSlot]
    private let finished = DispatchGroup()
    /// The current job; written by the caller before the releasing generation increment.
    private var job: PoolJob?

    private final class WorkerSlot: Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        let queue: DispatchQueue
        init(index: Int) {
            // A serial queue per worker: Dispatch gives each its own thread, so a worker's
            // long-running loop never holds up another's.
            queue = DispatchQueue(label: "shardtrain.worker.\(index)", qos: .userInitiated)
        }
    }

    init(participantCount: Int, processorCount: Int, spinLimit: Duration = .microseconds(200)) {
        precondition(participantCount >= 1)
        self.participantCount = participantCount
        self.spinLimit = participantCount <= processorCount ? spinLimit : .zero
        workers = (1..<max(participantCount, 1)).map { WorkerSlot(index: $0) }
        for (offset, slot) in workers.enumerated() {
            finished.enter()
            slot.queue.async { [self] in
                workerLoop(participant: offset + 1, slot: slot)
                finished.leave()
            }
        }
    }

    /// Stops the workers and waits for them to leave their loops. The workers hold the pool
    /// while they run, so its owner must call this (the engine does, in its deinit).
    func shutdown() {
        guard !workers.isEmpty, !stopping.load(ordering: .acquiring) else { return }
        stopping.store(true, ordering: .releasing)
        job = nil
        remaining.store(workers.count, ordering: .relaxed)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        wakeParkedWorkers()
        finished.wait()
    }

    /// Runs `job` on every participant (the caller as participant 0) and returns when all
    /// have finished.
    func run(_ job: PoolJob) {
        guard !workers.isEmpty else {
            job.run(participant: 0)
            return
        }
        self.job = job
        remaining.store(workers.count, ordering: .relaxed)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        wakeParkedWorkers()
        job.run(participant: 0)
        waitForWorkers()
    }

    private func wakeParkedWorkers() {
        for slot in workers where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            slot.wake.signal()
        }
    }

    /// Waits until every worker has finished the current job. The last worker of a job may
    /// still be about to signal when the caller has already seen `remaining` reach 0 and moved
    /// on to the next job, so a wake-up here can be stale: it is always checked again.
    private func waitForWorkers() {
        while remaining.load(ordering: .acquiring) != 0 {
            if spin(until: { remaining.load(ordering: .acquiring) == 0 }) { return }
            callerSleeping.store(true, ordering: .sequentiallyConsistent)
            if remaining.load(ordering: .sequentiallyConsistent) == 0 {
                // Done after all; if a worker already took the flag, it is signalling: consume it.
                if !callerSleeping.exchange(false, ordering: .sequentiallyConsistent) { callerWake.wait() }
                return
            }
            callerWake.wait()
        }
    }

    private func workerLoop(participant: Int, slot: WorkerSlot) {
        flushSubnormalsToZero()
        var seen = 0
        while true {
            while generation.load(ordering: .acquiring) == seen {
                if spin(until: { generation.load(ordering: .acquiring) != seen }) { break }
                slot.sleeping.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) != seen {
                    // The caller may already have taken the flag: then its signal is coming.
                    if !slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) { slot.wake.wait() }
                    break
                }
                slot.wake.wait()
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            job!.run(participant: participant)
            if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0,
               callerSleeping.exchange(false, ordering: .sequentiallyConsistent) {
                callerWake.signal()
            }
        }
    }

    /// Busy-waits for `condition` up to `spinLimit`; false when it did not become true.
    @inline(__always)
    private func spin(until condition: () -> Bool) -> Bool {
        if condition() { return true }
        guard spinLimit > .zero else { return false }
        let deadline = ContinuousClock.now + spinLimit
        while true {
            for _ in 0..<64 {
                shard_cpu_pause()
                if condition() { return true }
            }
            if ContinuousClock.now >= deadline { return condition() }
        }
    }
}
