import ArgumentParser
import ShardCheckpoint
import ShardConfig
import ShardData
import ShardExport
import ShardHDF5
import ShardTraining

#if canImport(Glibc)
import Glibc
#endif

/// Maps every failure to its one-line message and documented exit code.
enum FailureReport {
    static let usage = ExitStatus.usage.code
    static let data = ExitStatus.data.code
    static let output = ExitStatus.output.code

    /// The exit code and message for our own errors; nil message for ArgumentParser's own
    /// (it prints usage errors itself, with exit code 64).
    static func describe(_ error: Error) -> (Int32, String?) {
        switch error {
        case let error as ExperimentError:
            return (usage, error.description)
        case let error as DataError:
            if case .writeFailed = error { return (output, error.description) }
            return (data, error.description)
        case let error as HDF5Error:
            switch error {
            case .writeFailed, .closeFailed: return (output, error.description)
            default: return (data, error.description)
            }
        case let error as TrainingError:
            switch error {
            case .diverged: return (ExitStatus.trainingFailed.code, error.description)
            case .interrupted(let signal, _, _): return (128 + signal, error.description)
            }
        case let error as CheckpointError:
            switch error {
            case .writeFailed: return (output, error.description)
            case .badModelFile, .badCheckpoint: return (data, error.description)
            case .nothingToResume: return (usage, error.description)
            }
        case let error as ExportError:
            if case .writeFailed = error { return (output, error.description) }
            return (data, error.description)
        case let error as CommandFailure:
            return (error.code, error.message)
        default:
            return (0, nil)
        }
    }

    static func printError(_ message: String, isError: Bool = true) {
        printToStandardError("shardtrain: " + (isError ? "error: " : "") + message.replacingNewlines())
    }
}

/// A failure found by a command itself, with its exit code.
struct CommandFailure: Error {
    let code: Int32
    let message: String
}

extension String {
    func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Diagnostics go to stderr, results to stdout.
func printToStandardError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
