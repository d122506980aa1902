import ArgumentParser
import Foundation
import ShardCore
import ShardHDF5
import ShardTraining

/// The root command holds only configuration; each subcommand lives in its own file.
@main
struct ShardTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shardtrain",
        abstract: "Train feedforward networks on every CPU core of a workstation.",
        discussion: ExitStatus.helpText,
        version: ShardTrainVersion.string,
        subcommands: [Train.self, KeysCommand.self, Evaluate.self, Export.self, Import.self, Inspect.self, Bench.self, Plot.self])

    static func main() {
        // Past a file-size limit (ulimit -f) a write should fail with EFBIG, reported as exit
        // 74 with the old files intact, not kill the process with no message.
        signal(SIGXFSZ, SIG_IGN)
        watchForHDF5Stalls()
        useFastBLASKernels()
        // Our own workers own the cores; OpenBLAS's threads must not compete.
        BLAS.useSingleThread()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let (code, message) = FailureReport.describe(error)
            if let message {
                // An empty message: another process (rank 0 of an MPI run) reports it.
                if message.isEmpty { Self.exit(withError: ExitCode(code)) }
                // An interrupted run that saved its checkpoint did what it was asked to.
                FailureReport.printError(message, isError: code != ExitStatus.interrupted.code
                                                       && code != ExitStatus.terminated.code)
                Self.exit(withError: ExitCode(code))
            }
            // ArgumentParser's own: --help and --version print and exit 0; a usage mistake is
            // one line naming the fix, exit 64, instead of a usage dump.
            let exitCode = Self.exitCode(for: error)
            guard exitCode != .success else { Self.exit(withError: error) }
            var text = Self.message(for: error).replacingNewlines()
            if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
            let isUsage = exitCode == .validationFailure
            if isUsage { text += "; see `shardtrain help` for the usage" }
            FailureReport.printError(text)
            Self.exit(withError: ExitCode(isUsage ? ExitStatus.usage.code : ExitStatus.trainingFailed.code))
        }
    }
}

/// HDF5 can loop forever on some damaged files (HDF5StallGuard says which): a metadata read
/// that has not come back after SHARDTRAIN_HDF5_STALL_SECONDS (default 30) ends the process
/// with the data-error exit code and a message, rather than hanging.
private func watchForHDF5Stalls() {
    let seconds = ProcessInfo.processInfo.environment["SHARDTRAIN_HDF5_STALL_SECONDS"].flatMap(Double.init) ?? 30
    HDF5StallGuard.install(limit: .milliseconds(Int(max(seconds, 0.1) * 1000))) { what in
        FailureReport.printError("HDF5 did not finish \(what) within \(seconds) s: the file is damaged (HDF5 loops on some corrupt files); restore or re-create it")
        _exit(ExitStatus.data.code)
    } crashed: { what in
        ("shardtrain: error: HDF5 crashed \(what): the file is damaged (HDF5 1.10.8 overruns buffers or divides by zero on some corrupt files); restore or re-create it\n",
         ExitStatus.data.code)
    }
}

/// When OpenBLAS misdetected this CPU and loaded slow generic kernels, start this same process
/// again (same PID, arguments and environment) with OPENBLAS_CORETYPE naming the right family.
/// A user's own OPENBLAS_CORETYPE is always respected. If exec fails, the run goes on, slower.
private func useFastBLASKernels() {
    guard getenv("OPENBLAS_CORETYPE") == nil, let core = BLAS.betterCoreType() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}

