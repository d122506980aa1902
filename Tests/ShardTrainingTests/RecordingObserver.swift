import ShardTraining

/// A training observer for tests: records epoch reports and stops when `stop` says so.
final class RecordingObserver: TrainingObserver {
    var reports: [EpochReport] = []
    var stop: (Trainer) -> Int32? = { _ in nil }
    private weak var trainer: Trainer?

    init(_ trainer: Trainer, stop: @escaping (Trainer) -> Int32? = { _ in nil }) {
        self.trainer = trainer
        self.stop = stop
        trainer.observers.append(self)
    }

    func epochEnded(_ report: EpochReport, trainer: Trainer) { reports.append(report) }

    func stopRequested() -> Int32? { trainer.flatMap(stop) }
}
