/// What "best" means, in one place. A run chooses its model by a validation metric
/// (`training.monitor`), never by a test figure. The best epoch is the first whose monitored value beats every earlier one by more
/// than `minDelta`; early stopping ends the run once `patience` epochs in a row have not. The
/// best checkpoint, the report's `best`, the model file of a run with validation data, and a
/// sweep's winner all come from here. Without validation data nothing is best.
///
/// Everything is recomputed from the history of monitored values, which checkpoints keep, so a
/// resumed run chooses and stops exactly as the uninterrupted run would have.
public struct ModelSelection: Sendable, Equatable {
    public enum Monitor: String, CaseIterable, Sendable {
        case validationLoss = "validation_loss"
        case validationAccuracy = "validation_accuracy"

        public var higherIsBetter: Bool { self == .validationAccuracy }
    }

    public var monitor: Monitor
    /// An improvement must exceed this (in the monitored metric's units).
    public var minDelta: Double
    /// Epochs without improvement that end the run; 0 never stops early.
    public var patience: Int

    public init(monitor: Monitor, minDelta: Double = 0, patience: Int = 0) {
        self.monitor = monitor
        self.minDelta = minDelta
        self.patience = patience
    }

    /// Where a history stands: its best epoch (an index into the values), and how many epochs
    /// have passed since it.
    public struct Standing: Equatable, Sendable {
        /// nil when no epoch has a monitored value (no validation data).
        public var best: Int?
        public var epochsWithoutImprovement: Int
    }

    /// Whether `candidate` beats `best` by more than `minDelta`.
    public func improves(_ candidate: Double, on best: Double) -> Bool {
        monitor.higherIsBetter ? candidate > best + minDelta : candidate < best - minDelta
    }

    /// The standing after the epochs whose monitored values are `values` (nil: not measured).
    public func standing(_ values: [Double?]) -> Standing {
        var standing = Standing(best: nil, epochsWithoutImprovement: 0)
        for (index, value) in values.enumerated() {
            guard let value, !value.isNaN else {
                standing.epochsWithoutImprovement += 1
                continue
            }
            if let best = standing.best, let bestValue = values[best], !improves(value, on: bestValue) {
                standing.epochsWithoutImprovement += 1
            } else {
                standing = Standing(best: index, epochsWithoutImprovement: 0)
            }
        }
        return standing
    }

    /// True when early stopping ends the run after these epochs.
    public func shouldStop(_ values: [Double?]) -> Bool {
        patience > 0 && standing(values).best != nil && standing(values).epochsWithoutImprovement >= patience
    }
}

extension ModelSelection {
    /// The standing of a run after the epochs of `history`.
    public func standing(_ history: [EpochRecord]) -> Standing { standing(history.map { $0.value(of: monitor) }) }

    /// The best epoch of `history` by the monitored validation metric; nil without validation
    /// data (then nothing is called best: the test split never chooses).
    public func best(_ history: [EpochRecord]) -> EpochRecord? { standing(history).best.map { history[$0] } }

    /// True when early stopping ends the run after the epochs of `history`.
    public func shouldStop(_ history: [EpochRecord]) -> Bool { shouldStop(history.map { $0.value(of: monitor) }) }
}
