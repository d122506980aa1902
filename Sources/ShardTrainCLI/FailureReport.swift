import ArgumentParser
import ShardData
import ShardHDF5
import ShardTraining

#if canImport(Glibc)
import Glibc
#endif

/// Maps every failure to its one-line message and documented exit code.
enum FailureReport {
    static let usage: Int32 = 64
    static let data: Int32 = 65
    static let output: Int32 = 74
    static let trainingFailed: Int32 = 1

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
            return (data, error.description)
        case let error as TrainingError:
            switch error {
            case .diverged: return (trainingFailed, error.description)
            case .writeFailed: return (output, error.description)
            case .badModelFile, .badCheckpoint: return (data, error.description)
            case .nothingToResume, .runDirectoryBusy: return (usage, error.description)
            case .interrupted(let signal, _, _): return (128 + signal, error.description)
            }
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
