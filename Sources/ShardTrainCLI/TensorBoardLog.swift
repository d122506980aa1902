import ShardCheckpoint
import ShardExport
import ShardTraining

/// logging.tensorboard: after each epoch's evaluation, the epoch's figures as TensorBoard
/// scalars at the run's global step, written on the trainer's thread (observers run there).
/// A resumed run first removes the events past its checkpoint's step, which the stopped
/// process logged but whose work it lost, so each step is logged once and its values equal
/// those of an uninterrupted run (samples/s aside: it measures this process).
final class TensorBoardLog: TrainingObserver {
    let writer: TensorBoardWriter

    /// A damaged event file already there stops the run before training (exit 65).
    init(directory: RunDirectory, trainer: Trainer) throws(ExportError) {
        writer = try TensorBoardWriter(directory: directory.tensorBoardPath,
                                       resumingAfterStep: trainer.state.step)
    }

    /// The tags: TensorBoard groups them by the part before the slash.
    static func scalars(_ report: EpochReport) -> [(tag: String, value: Double)] {
        let record = report.record
        var scalars: [(tag: String, value: Double)] = [("loss/train", record.trainLoss)]
        // Each figure measured this epoch (validation with validation data; test unless it is
        // measured only at the end).
        for (tag, value) in [("loss/validation", record.validationLoss), ("loss/test", record.testLoss),
                             ("accuracy/train", record.trainAccuracy), ("accuracy/validation", record.validationAccuracy),
                             ("accuracy/test", record.testAccuracy)] {
            if let value { scalars.append((tag, value)) }
        }
        scalars += [("learning_rate", record.learningRate), ("samples_per_second", report.samplesPerSecond)]
        return scalars
    }

    func epochEnded(_ report: EpochReport, trainer: Trainer) throws {
        try writer.appendScalars(Self.scalars(report), step: report.record.step)
    }
}
