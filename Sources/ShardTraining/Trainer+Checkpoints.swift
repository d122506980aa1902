import ShardCheckpoint
import ShardConfig
import ShardCore
import ShardEngine
import ShardNetwork

extension Trainer {
    /// The run in `runDirectory`, continued from its newest intact checkpoint (each newer
    /// damaged one is reported through `warn` and skipped), with the experiment it was started
    /// with and the `overrides` a resume may make (`Keys.*.changeableOnResume`). The whole
    /// resume policy lives here.
    public convenience init(resuming runDirectory: String, overrides: [String] = [],
                            group: ProcessGroup? = nil, processors: Int? = nil,
                            warn: (String) -> Void) throws {
        let newest = try CheckpointStore(runDirectory: runDirectory, everySteps: 0, everyEpochs: 1, keep: 1)
            .newestValid(warn: warn)
        let source = "the experiment saved in \(runDirectory)"
        let model = newest.model
        let original = try ExperimentLoader.load(text: model.experimentTOML, name: model.experimentName, source: source)
        let experiment = try ExperimentLoader.load(text: model.experimentTOML, name: model.experimentName,
                                                   source: source, overrides: overrides)
        if let (key, was, now) = experiment.unchangeableDifference(from: original) {
            throw ExperimentError.unchangeableOnResume(key: key, was: was.description, now: now.description)
        }
        let trained = newest.state.history.count
        guard experiment.epochs >= trained else {
            throw ExperimentError.invalidValue(
                source: "--set", key: Keys.epochs.name, value: String(experiment.epochs),
                reason: "the run has already trained \(trained) epochs; a resume can only go on from there (raise it, or start a new run)")
        }
        try self.init(experiment: experiment, data: try PreparedData.load(experiment, rankCount: group?.rankCount ?? 1),
                      checkpoints: CheckpointStore(runDirectory: runDirectory, experiment: experiment),
                      group: group, processors: processors)
        try restore(from: newest)
    }

    /// Everything needed to continue this run exactly.
    public func makeCheckpoint() -> Checkpoint {
        var state = self.state
        state.generatorState = generator.state
        return Checkpoint(model: modelFile(), optimizerName: experiment.optimizer.kind.rawValue,
                          optimizerSteps: optimizer.stepCount, slots: optimizer.savedSlots, state: state,
                          bestParameters: bestParameters)
    }

    /// Continues from `checkpoint`: weights, optimizer state, position, generator, history, and
    /// with validation data the best epoch's weights.
    func restore(from checkpoint: Checkpoint) throws(CheckpointError) {
        let path = checkpoints?.runDirectory ?? "checkpoint"
        guard checkpoint.model.network == network else {
            throw .badCheckpoint(path: path, reason: "its network \(checkpoint.model.network.layerSizes) differs from the experiment's \(network.layerSizes)")
        }
        let rows = data.train.rowCount
        guard checkpoint.state.trainRows == rows else {
            throw .badCheckpoint(path: path, reason: "it was trained on \(checkpoint.state.trainRows) train rows, the data file now has \(rows); use the same data file")
        }
        guard checkpoint.state.blockRows == 0 || checkpoint.state.blockRows == data.train.blockRows else {
            throw .badCheckpoint(path: path, reason: "its epoch order cut the train split into blocks of \(checkpoint.state.blockRows) rows, the data file now gives \(data.train.blockRows) (its chunking changed); use the same data file")
        }
        if let order = checkpoint.state.legacyOrder {
            var seen = [Bool](repeating: false, count: rows)
            guard order.count == rows, order.allSatisfy({ row in
                guard (0..<rows).contains(row), !seen[row] else { return false }
                seen[row] = true
                return true
            }) else {
                throw .badCheckpoint(path: path, reason: "its stored order is not a permutation of the \(rows) train rows; use the same data file")
            }
        }
        guard checkpoint.optimizerName == experiment.optimizer.kind.rawValue else {
            throw .badCheckpoint(path: path, reason: "its optimizer state (\(checkpoint.optimizerName)) does not match optimizer.name = \(experiment.optimizer.kind.rawValue)")
        }
        guard let restored = RandomGenerator(state: checkpoint.state.generatorState) else {
            throw .badCheckpoint(path: path, reason: "invalid generator state")
        }
        if let bestParameters, selection.best(checkpoint.state.history) != nil {
            guard let saved = checkpoint.bestParameters else {
                throw .badCheckpoint(path: path, reason: "it has validation figures but not the best epoch's weights (/best_model)")
            }
            bestParameters.copy(from: saved)
        }
        if let mismatch = optimizer.restore(stepCount: checkpoint.optimizerSteps, slots: checkpoint.slots) {
            throw .badCheckpoint(path: path, reason: mismatch)
        }
        parameters.copy(from: checkpoint.model.parameters)
        state = checkpoint.state
        state.blockRows = data.train.blockRows
        generator = restored
    }

    /// Starts from another run's weights (a model file or a checkpoint); nothing else of it.
    public func warmStart(from model: ModelFile, path: String) throws(CheckpointError) {
        guard model.network.layerSizes == network.layerSizes else {
            throw .badModelFile(path: path, reason: "its layers \(model.network.layerSizes) differ from the experiment's \(network.layerSizes)")
        }
        parameters.copy(from: model.parameters)
    }

    /// A model file of `parameters` (by default the current weights).
    func modelFile(parameters: FloatBuffer? = nil) -> ModelFile {
        ModelFile(network: network, parameters: parameters ?? self.parameters, experimentTOML: experiment.resolvedTOML,
                  classNames: data.classNames, experimentName: experiment.name)
    }

    /// Writes a checkpoint of the run as it stands (never one with non-finite weights: the
    /// last good one stays the newest). Writing it is not training time.
    @discardableResult
    func saveCheckpoint(timer: inout RunTimer) throws -> String? {
        guard let checkpoints else { return nil }
        guard parameters.isFinite else {
            throw TrainingError.diverged(step: state.step, epoch: state.epoch, loss: .nan,
                                         learningRate: experiment.schedule(stepsPerEpoch: stepsPerEpoch)
                                             .rate(atStep: max(state.step - 1, 0)))
        }
        timer.account(into: &state)
        state.generatorState = generator.state
        // On ranks each holds only its slice of the optimizer's slots up to date: rank 0
        // gathers them, then alone writes. Every rank comes here at the same steps.
        for slot in optimizer.slots { engine.gatherToRoot(slot.pointer) }
        let path = isWriter ? try checkpoints.save(makeCheckpoint()) : ""
        timer.skip()
        lastSaved = (state.step, path)
        return isWriter ? path : nil
    }
}

extension CheckpointStore {
    /// The store of `runDirectory` with the experiment's checkpoint policy; with validation
    /// data it also keeps the best epoch's checkpoint.
    public convenience init(runDirectory: String, experiment: Experiment) {
        self.init(runDirectory: runDirectory, everySteps: experiment.checkpointEverySteps,
                  everyEpochs: experiment.checkpointEveryEpochs, keep: experiment.checkpointsKept,
                  selection: experiment.hasValidationData ? experiment.selection : nil)
    }
}

extension Experiment {
    /// How this experiment's run chooses its model and when it stops early.
    public var selection: ModelSelection {
        ModelSelection(monitor: ModelSelection.Monitor(rawValue: monitor) ?? .validationLoss,
                       minDelta: earlyStoppingMinDelta, patience: earlyStoppingPatience)
    }
}
