import Foundation
import ShardCluster
import ShardTraining

/// The MPI ranks of a `train` that mpirun (or srun with PMI) launched: joining the world,
/// agreeing at start-up, leaving it together. Used on the main thread only, which is the
/// trainer's: the one thread that calls MPI.
final class Ranks {
    let group: MPIProcessGroup
    /// The processors this rank may use, and every rank's summed (which resolves an automatic
    /// `training.shard_rows` the same way on every rank).
    let processors: Int
    let worldProcessors: Int

    private init(group: MPIProcessGroup, processors: Int, worldProcessors: Int) {
        self.group = group
        self.processors = processors
        self.worldProcessors = worldProcessors
    }

    /// The ranks of this launch, or nil when no MPI launcher started the process (then MPI is
    /// never initialised). Refuses, with exit 64, a Slurm step of several tasks that MPI does
    /// not connect: each would train a copy of the run.
    static func join(timeout: Duration) throws -> Ranks? {
        let environment = ProcessInfo.processInfo.environment
        let tasks = ClusterLaunch.slurmTasks(environment)
        let refusal = CommandFailure(code: ExitStatus.usage.code,
                                     message: ClusterLaunch.unconnectedTasksMessage(tasks: tasks))
        guard ClusterLaunch.isMPILaunch(environment) else {
            if tasks > 1 { throw refusal }
            return nil
        }
        let group = MPIProcessGroup.initialize(timeout: timeout) { message in
            // A rank is gone or hung: nothing more can be agreed with the others. Checkpoints
            // are written atomically, so the last one stays whole.
            FailureReport.printError(message)
            _exit(ExitStatus.ranksLost.code)
        }
        if group.rankCount == 1 && tasks > 1 {
            group.finish()
            throw refusal
        }
        let processors = ClusterLaunch.processorsPerRank(
            environment, active: ProcessInfo.processInfo.activeProcessorCount,
            online: ProcessInfo.processInfo.processorCount)
        let world = group.allGather(Int64(processors)).reduce(0, +)
        return Ranks(group: group, processors: processors, worldProcessors: Int(world))
    }

    /// Every rank's set-up (experiment, data, trainer, run directory) succeeded, and resumed
    /// from the same step, or every rank stops here: a rank that failed reports its own error,
    /// rank 0 names the failed rank, the others exit silently with its code.
    func agreeOnStart(_ setUp: Result<Int, Error>) throws {
        let ownCode: Int64 = switch setUp {
        case .success: 0
        case .failure(let error): Int64(max(FailureReport.describe(error).0, 1))
        }
        let codes = group.allGather(ownCode)
        let steps = group.allGather(Int64((try? setUp.get()) ?? -1))
        if let failed = codes.firstIndex(where: { $0 != 0 }) {
            // Messages are printed before leaving MPI: once one rank has exited non-zero the
            // launcher may end the others, and a message still to be printed would be lost.
            if case .failure(let error) = setUp, let message = FailureReport.describe(error).1 {
                // Rank 0's own error speaks for the run (often every rank met the same one);
                // another rank's is printed, named, only when rank 0 had none.
                if group.rank == 0 {
                    FailureReport.printError(message)
                } else if codes[0] == 0 {
                    FailureReport.printError("rank \(group.rank) of \(group.rankCount): \(message)")
                }
            } else if group.rank == 0 {
                FailureReport.printError("rank \(failed) of \(group.rankCount) could not start the run (exit \(codes[failed])); its error is above")
            }
            group.finish()
            throw CommandFailure(code: Int32(ownCode != 0 ? ownCode : codes[failed]), message: "")
        }
        if Set(steps).count > 1 {
            group.finish()
            throw CommandFailure(code: ExitStatus.data.code, message: group.rank != 0 ? "" :
                "the ranks resumed from different checkpoints (steps \(steps.map(String.init).joined(separator: ", "))): the run directory must be on a file system every rank sees, with the same files")
        }
    }

    /// What a rank throws when its run ends with `error`. Errors every rank meets at the same
    /// step (divergence, a stop by signal) end the run everywhere, so the ranks leave MPI
    /// together; any other is this rank's alone (the others then stop at their next exchange,
    /// or the launcher stops them). Rank 0 speaks for the run; the others name themselves in
    /// an error and say nothing of an interruption rank 0 reports.
    func leave(after error: Error) -> Error {
        if error is TrainingError {
            // Rank 0 prints before leaving MPI (the launcher may end it once the others have
            // exited with this code); the others say nothing of what rank 0 reports.
            let (code, message) = FailureReport.describe(error)
            if group.rank == 0, let message {
                FailureReport.printError(message, isError: code != ExitStatus.interrupted.code
                                                       && code != ExitStatus.terminated.code)
            }
            group.finish()
            return CommandFailure(code: code, message: "")
        }
        guard group.rank != 0 else { return error }
        let (code, message) = FailureReport.describe(error)
        if case TrainingError.interrupted = error { return CommandFailure(code: code, message: "") }
        guard let message, !message.isEmpty else { return error }
        return CommandFailure(code: code, message: "rank \(group.rank) of \(group.rankCount): \(message)")
    }

    /// The bytes this rank sent and its seconds in MPI per step, in the run's summary.
    func describeCommunication(in report: inout RunReport) {
        guard group.rankCount > 1 else { return }
        report.communicationBytesPerStep = group.statistics.bytesPerStep
        report.communicationSecondsPerStep = group.statistics.secondsPerStep
    }
}
