import Foundation

/// How a run can end early, other than through bad input or a failed write.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite at `step` (1-based, counted over the whole run).
    case diverged(step: Int, epoch: Int, loss: Double, learningRate: Float)
    /// Stopped by SIGINT or SIGTERM after writing a checkpoint.
    case interrupted(signal: Int32, checkpoint: String, runDirectory: String)

    public var description: String {
        switch self {
        case .diverged(let step, let epoch, let loss, let learningRate):
            return "training diverged: the loss became \(loss) at step \(step) (epoch \(epoch)) with learning rate \(learningRate); lower optimizer.learning_rate or add schedule.warmup_steps"
        case .interrupted(let signal, let checkpoint, let runDirectory):
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            return "stopped by \(name); checkpoint saved to \(checkpoint); continue with `shardtrain train --resume \(runDirectory)`"
        }
    }
}
