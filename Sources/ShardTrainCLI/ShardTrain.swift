import ArgumentParser
import Foundation
import ShardCore
import ShardTraining

/// The root command holds only configuration; each subcommand lives in its own file.
@main
struct ShardTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shardtrain",
        abstract: "Train feedforward networks on every CPU core of a workstation.",
        discussion: """
            Exit codes: 0 success; 1 training failed (e.g. the loss diverged); 64 usage or \
            experiment error (also a run directory in use, nothing to resume); 65 data error \
            (missing, malformed or inconsistent data, model or checkpoint file); 74 output \
            could not be written; 130 stopped by SIGINT, 143 by SIGTERM, checkpoint saved.
            """,
        version: ShardTrainVersion.string,
        subcommands: [Train.self, Evaluate.self, Import.self, Inspect.self, Bench.self, Plot.self])

    static func main() {
        useFastBLASKernels()
        // Our own workers own the cores; OpenBLAS's threads must not compete.
        BLAS.useSingleThread()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let (code, message) = FailureReport.describe(error)
            if let message {
                // An interrupted run that saved its checkpoint did what it was asked to.
                FailureReport.printError(message, isError: code != 130 && code != 143)
                Self.exit(withError: ExitCode(code))
            }
            Self.exit(withError: error)
        }
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

