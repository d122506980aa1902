import Foundation

/// Failures of a run that are neither a bad experiment nor bad data.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite at `step` (1-based, counted over the whole run).
    case diverged(step: Int, epoch: Int, loss: Double, learningRate: Float)
    /// The model file could not be written.
    case writeFailed(path: String, reason: String)
    /// A model file that is not one of ours, or does not match what it is used with.
    case badModelFile(path: String, reason: String)
    /// A checkpoint that cannot be used: unreadable, truncated, corrupt, another version.
    case badCheckpoint(path: String, reason: String)
    /// Another process holds the run directory.
    case runDirectoryBusy(directory: String)
    /// No usable checkpoint in a run directory.
    case nothingToResume(directory: String, reason: String)
    /// Stopped by SIGINT or SIGTERM after writing a checkpoint.
    case interrupted(signal: Int32, checkpoint: String, runDirectory: String)

    public var description: String {
        switch self {
        case .diverged(let step, let epoch, let loss, let learningRate):
            return "training diverged: the loss became \(loss) at step \(step) (epoch \(epoch)) with learning rate \(learningRate); lower optimizer.learning_rate or add schedule.warmup_steps"
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason); check the folder is writable and the disk has space"
        case .badModelFile(let path, let reason):
            return "\(path) is not a usable ShardTrain model file: \(reason)"
        case .badCheckpoint(let path, let reason):
            return "checkpoint \(path) is unusable: \(reason)"
        case .runDirectoryBusy(let directory):
            return "\(directory) is in use by another shardtrain process (its .lock is held); wait for it to finish or choose another --run-dir"
        case .nothingToResume(let directory, let reason):
            return "cannot resume from \(directory): \(reason)"
        case .interrupted(let signal, let checkpoint, let runDirectory):
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            return "stopped by \(name); checkpoint saved to \(checkpoint); continue with `shardtrain train --resume \(runDirectory)`"
        }
    }
}
