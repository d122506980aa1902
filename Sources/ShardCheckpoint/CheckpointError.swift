import Foundation

/// Failures of the files a run reads and writes: model files, checkpoints, and any output
/// written atomically.
public enum CheckpointError: Error, CustomStringConvertible {
    /// An output file could not be written (exit 74).
    case writeFailed(path: String, reason: String)
    /// A model file that is not one of ours, or does not match what it is used with.
    case badModelFile(path: String, reason: String)
    /// A checkpoint that cannot be used: unreadable, truncated, corrupt, another version.
    case badCheckpoint(path: String, reason: String)
    /// No usable checkpoint in a run directory.
    case nothingToResume(directory: String, reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason); check the folder is writable and the disk has space"
        case .badModelFile(let path, let reason):
            return "\(path) is not a usable ShardTrain model file: \(reason)"
        case .badCheckpoint(let path, let reason):
            return "checkpoint \(path) is unusable: \(reason)"
        case .nothingToResume(let directory, let reason):
            return "cannot resume from \(directory): \(reason)"
        }
    }
}
