import CMPI
import ShardCore
import ShardEngine

#if canImport(Glibc)
import Glibc
#endif

/// The ranks of an `mpirun` (or `srun` with PMI) launch, over Open MPI: ShardTrain's
/// `ProcessGroup`.
///
/// Only the thread that created it may use it (MPI_THREAD_FUNNELED: the trainer's thread; the
/// engine's workers never communicate). Every operation is non-blocking MPI polled to
/// completion against a deadline, with MPI_ERRORS_RETURN on the world communicator: when a
/// rank dies or stops answering, the others neither abort silently nor wait forever; they call
/// `onFailure` with a message naming the operation and the time waited, which ends the process
/// (the last checkpoint, written atomically, stays intact).
///
/// It counts what it sends and the time spent in MPI (waiting for slower ranks included), so a
/// run can report bytes and seconds per step (`statistics`).
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let rankCount: Int
    /// How long one collective may take before the run is declared broken.
    public let timeout: Duration
    private let onFailure: (String) -> Never
    private let world: MPI_Comm
    /// Reused for every operation, grown when a larger one comes (setup, or a new shard count).
    private var requests: [MPI_Request?] = []
    private var counts: [Int32] = []
    private var offsets: [Int32] = []
    private var finished = false
    public private(set) var statistics = CommunicationStatistics()

    private init(rank: Int, rankCount: Int, timeout: Duration, world: MPI_Comm,
                 onFailure: @escaping (String) -> Never) {
        self.rank = rank
        self.rankCount = rankCount
        self.timeout = timeout
        self.world = world
        self.onFailure = onFailure
    }

    /// Initialises MPI on the calling thread (once per process) and joins the world.
    public static func initialize(timeout: Duration, onFailure: @escaping (String) -> Never) -> MPIProcessGroup {
        var provided: Int32 = 0
        let code = MPI_Init_thread(nil, nil, shard_mpi_thread_funneled(), &provided)
        guard code == shard_mpi_success() else { onFailure("MPI_Init_thread failed (\(code)); is this an Open MPI launch?") }
        let world = shard_mpi_comm_world()!
        MPI_Comm_set_errhandler(world, shard_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        return MPIProcessGroup(rank: Int(rank), rankCount: Int(size), timeout: timeout, world: world,
                               onFailure: onFailure)
    }

    /// Waits (within the timeout) until every rank gets here, then leaves MPI. Called once, at
    /// the end of a run every rank ended the same way (finished, stopped by a signal, diverged),
    /// so no rank still expects a message.
    public func finish() {
        guard !finished else { return }
        finished = true
        prepare(requests: 1)
        check(MPI_Ibarrier(world, &requests[0]), "MPI_Ibarrier")
        wait(count: 1, what: "the final barrier")
        MPI_Finalize()
    }

    /// Every rank's `value`, in rank order (for agreeing at start-up).
    public func allGather(_ value: Int64) -> [Int64] {
        var all = [Int64](repeating: 0, count: rankCount)
        var mine = value
        prepare(requests: 1)
        all.withUnsafeMutableBufferPointer { buffer in
            check(MPI_Iallgather(&mine, 1, shard_mpi_int64(), buffer.baseAddress, 1, shard_mpi_int64(), world,
                                 &requests[0]), "MPI_Iallgather")
            wait(count: 1, what: "agreeing on the run's set-up")
        }
        return all
    }

    // MARK: ProcessGroup

    public func allGather(_ all: UnsafeMutablePointer<Double>, counts: [Int], offsets: [Int]) {
        let started = ContinuousClock.now
        setLayout(counts: counts, offsets: offsets)
        prepare(requests: 1)
        check(MPI_Iallgatherv(shard_mpi_in_place(), 0, shard_mpi_double(), all, &self.counts, &self.offsets,
                              shard_mpi_double(), world, &requests[0]), "MPI_Iallgatherv")
        wait(count: 1, what: "gathering the step's loss sums")
        statistics.bytesSent += 8 * (counts.reduce(0, +) - counts[rank])
        statistics.seconds += (ContinuousClock.now - started).totalSeconds
    }

    public func exchangeSlices(_ buffers: [UnsafeMutablePointer<Float>], plan: RankPlan) {
        let started = ContinuousClock.now
        let mySlice = plan.slices[rank]
        var pending = 0
        prepare(requests: 2 * plan.shards.reduce(0) { $0 + $1.count })
        // Receives first, so data finds its buffer; the tag is the micro-shard's index.
        for peer in 0..<rankCount where peer != rank {
            for shard in plan.shards[peer] where !mySlice.isEmpty {
                check(MPI_Irecv(buffers[shard] + mySlice.lowerBound, Int32(mySlice.count), shard_mpi_float(),
                                Int32(peer), Int32(shard), world, &requests[pending]), "MPI_Irecv")
                pending += 1
            }
        }
        for peer in 0..<rankCount where peer != rank {
            let slice = plan.slices[peer]
            guard !slice.isEmpty else { continue }
            for shard in plan.shards[rank] {
                check(MPI_Isend(buffers[shard] + slice.lowerBound, Int32(slice.count), shard_mpi_float(),
                                Int32(peer), Int32(shard), world, &requests[pending]), "MPI_Isend")
                pending += 1
                statistics.bytesSent += 4 * slice.count
            }
        }
        wait(count: pending, what: "exchanging gradient slices")
        statistics.seconds += (ContinuousClock.now - started).totalSeconds
    }

    public func allGatherSlices(_ values: UnsafeMutablePointer<Float>, slices: [Range<Int>]) {
        let started = ContinuousClock.now
        setLayout(counts: slices.map(\.count), offsets: slices.map(\.lowerBound))
        prepare(requests: 1)
        check(MPI_Iallgatherv(shard_mpi_in_place(), 0, shard_mpi_float(), values, &counts, &offsets,
                              shard_mpi_float(), world, &requests[0]), "MPI_Iallgatherv")
        wait(count: 1, what: "gathering the updated parameters")
        // What a ring allgather (Open MPI's choice for large vectors) sends from each rank: every
        // slice but its own once; the exact figure depends on the algorithm.
        statistics.bytesSent += 4 * (slices.last!.upperBound - slices[rank].count)
        statistics.seconds += (ContinuousClock.now - started).totalSeconds
        statistics.steps += 1
    }

    public func gatherSlicesToRoot(_ values: UnsafeMutablePointer<Float>, slices: [Range<Int>]) {
        setLayout(counts: slices.map(\.count), offsets: slices.map(\.lowerBound))
        prepare(requests: 1)
        let mine = slices[rank]
        let code = rank == 0
            ? MPI_Igatherv(shard_mpi_in_place(), 0, shard_mpi_float(), values, &counts, &offsets,
                           shard_mpi_float(), 0, world, &requests[0])
            : MPI_Igatherv(values + mine.lowerBound, Int32(mine.count), shard_mpi_float(), nil, nil, nil,
                           shard_mpi_float(), 0, world, &requests[0])
        check(code, "MPI_Igatherv")
        wait(count: 1, what: "gathering the optimizer state for a checkpoint")
    }

    // MARK: Completion against a deadline

    private func prepare(requests count: Int) {
        if requests.count < count {
            requests = [MPI_Request?](repeating: shard_mpi_request_null(), count: count)
        }
    }

    private func setLayout(counts: [Int], offsets: [Int]) {
        self.counts = counts.map { Int32($0) }
        self.offsets = offsets.map { Int32($0) }
    }

    /// Polls the first `count` requests until all complete. Polling (not MPI_Waitall) is what
    /// lets a deadline end the wait; the thread yields the processor after a short spin, so
    /// ranks sharing a machine's cores are not starved while one waits.
    private func wait(count: Int, what: String) {
        guard count > 0 else { return }
        let deadline = ContinuousClock.now + timeout
        var done: Int32 = 0
        var polls = 0
        while true {
            check(MPI_Testall(Int32(count), &requests, &done, shard_mpi_statuses_ignore()), "MPI_Testall (\(what))")
            if done != 0 { return }
            polls += 1
            if polls > 2_000 { sched_yield() }
            if polls % 64 == 0, ContinuousClock.now > deadline {
                onFailure("rank \(rank) of \(rankCount): no answer from the other ranks for \(timeout.totalSeconds) s while \(what): a rank died or hung; the last checkpoint is intact (resume with `shardtrain train --resume DIR`); --rank-timeout sets the limit")
            }
        }
    }

    private func check(_ code: Int32, _ call: @autoclosure () -> String) {
        guard code != shard_mpi_success() else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        let reason = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        onFailure("rank \(rank) of \(rankCount): \(call()) failed: \(reason); another rank probably died; the last checkpoint is intact (resume with `shardtrain train --resume DIR`)")
    }
}

/// What a rank sent and how long it spent in MPI, over the steps so far.
public struct CommunicationStatistics: Sendable {
    public var bytesSent = 0
    public var seconds = 0.0
    public var steps = 0

    public var bytesPerStep: Double { steps == 0 ? 0 : Double(bytesSent) / Double(steps) }
    public var secondsPerStep: Double { steps == 0 ? 0 : seconds / Double(steps) }
}
