import Foundation
import ShardNetwork

/// A fully resolved experiment: every key of the schema with a checked value.
public struct Experiment: Sendable, Equatable {
    /// The experiment's name: the file's name without `.toml`.
    public var name: String
    /// Every schema key with its resolved value.
    public private(set) var values: [String: ConfigValue]

    init(name: String, values: [String: ConfigValue]) {
        self.name = name
        self.values = values
    }

    /// The value of `key`. Values are checked for type when the experiment loads, so a value
    /// of another type cannot be here; the default stands in for one all the same.
    public subscript<Value>(key: ExperimentKey<Value>) -> Value {
        values[key.name].flatMap(Value.init(config:)) ?? key.defaultValue
    }

    // data
    public var dataPath: String { self[Keys.dataPath] }
    public var trainSplit: String { self[Keys.trainSplit] }
    public var testSplit: String { self[Keys.testSplit] }
    public var featuresName: String { self[Keys.features] }
    public var targetsName: String { self[Keys.targets] }
    /// The validation split's group, or "" for none.
    public var validationSplit: String { self[Keys.validationSplit] }
    /// The fraction of the train split held out for validation; 0 for none.
    public var validationFraction: Double { self[Keys.validationFraction] }
    public var hasValidationData: Bool { !validationSplit.isEmpty || validationFraction > 0 }
    public var loading: String { self[Keys.loading] }
    /// `data.memory_budget_mb` in bytes, 0 resolved to a quarter of physical memory.
    public var memoryBudgetBytes: Int {
        let megabytes = self[Keys.memoryBudget]
        return megabytes > 0 ? megabytes << 20 : Int(ProcessInfo.processInfo.physicalMemory / 4)
    }
    public var shuffleWindow: Int { self[Keys.shuffleWindow] }
    // model
    public var hidden: [Int] { self[Keys.hidden] }
    public var activation: Activation { Activation(rawValue: self[Keys.activation]) ?? .relu }
    public var loss: Loss { Loss(rawValue: self[Keys.loss]) ?? .crossEntropy }
    public var outputActivation: Activation { Activation(rawValue: self[Keys.outputActivation]) ?? .identity }
    /// nil for `auto`: the network's usual scheme for its activation.
    public var initialization: Network.Initialization? { Network.Initialization(rawValue: self[Keys.initialization]) }
    /// One dropout rate per hidden layer.
    public var dropoutRates: [Double] { self[Keys.dropout].rates(hiddenLayers: hidden.count) }
    /// Training's dropout, its masks keyed on the seed; nil when every rate is 0.
    public var dropout: Dropout? {
        let rates = dropoutRates.map(Float.init)
        return rates.contains { $0 > 0 } ? Dropout(rates: rates, seed: seed) : nil
    }
    // optimizer
    public var learningRate: Float { Float(self[Keys.learningRate]) }
    public var optimizer: OptimizerConfiguration {
        let kind = OptimizerConfiguration.Kind(rawValue: self[Keys.optimizerName]) ?? .sgd
        var momentum = Float(self[Keys.momentum])
        if momentum == -1 { momentum = kind == .momentum || kind == .nesterov ? 0.9 : 0 }
        return OptimizerConfiguration(
            kind: kind, momentum: momentum, weightDecay: Float(self[Keys.weightDecay]),
            beta1: Float(self[Keys.beta1]), beta2: Float(self[Keys.beta2]), epsilon: Float(self[Keys.epsilon]))
    }
    // schedule
    public func schedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch self[Keys.scheduleName] {
        case "step":
            decay = .step(everySteps: self[Keys.stepEpochs] * stepsPerEpoch, gamma: Float(self[Keys.gamma]))
        case "cosine":
            decay = .cosine(totalSteps: epochs * stepsPerEpoch, minimum: Float(self[Keys.minimumLearningRate]))
        default:
            decay = .constant
        }
        return LearningRateSchedule(baseRate: learningRate, decay: decay, warmupSteps: self[Keys.warmupSteps])
    }
    // training
    public var epochs: Int { self[Keys.epochs] }
    public var batchSize: Int { self[Keys.batchSize] }
    public var seed: UInt64 { UInt64(bitPattern: Int64(self[Keys.seed])) }
    /// 0 means one worker per active processor.
    public var workers: Int { self[Keys.workers] }
    /// Rows per micro-shard: the unit of work the engine hands a worker. The weights depend on
    /// it (and on the batch size), never on the worker count. Always resolved: a 0 in the file
    /// becomes `automaticShardRows` when the experiment is loaded, and the resolved experiment
    /// records the number, so a rerun or resume elsewhere cuts batches the same way.
    public var shardRows: Int { min(self[Keys.shardRows], batchSize) }

    /// One micro-shard per processor at this batch size, at least 16 rows (smaller products
    /// waste BLAS's blocking). Measured on 2 cores, B = 512: 64-row shards gave 91k samples/s
    /// on 1 worker and 137k on 2; 256-row shards (this rule) 113k and 193k (docs/engine.md).
    static func automaticShardRows(batchSize: Int, processors: Int) -> Int {
        min(batchSize, max(16, (batchSize + processors - 1) / max(processors, 1)))
    }

    /// This experiment with `key` set to `value` (checked against the key's range), the
    /// automatic micro-shard size resolved again for it. For programs that vary a key, as
    /// `shardtrain bench` varies the batch size and the worker count.
    public func setting<Value>(_ key: ExperimentKey<Value>, to value: Value) throws(ExperimentError) -> Experiment {
        guard key.accepts(value) else {
            throw .invalidValue(source: "the program", key: key.name, value: value.configValue.description,
                                reason: "use \(key.range)")
        }
        var copy = self
        copy.values[key.name] = value.configValue
        copy.resolveShardRows(processors: ProcessInfo.processInfo.activeProcessorCount)
        return copy
    }

    mutating func resolveShardRows(processors: Int) {
        if self[Keys.shardRows] == 0 {
            values[Keys.shardRows.name] = .integer(Self.automaticShardRows(batchSize: batchSize, processors: processors))
        }
    }

    // model selection
    /// The validation metric that chooses the model (one of `Keys.monitors`).
    public var monitor: String { self[Keys.monitor] }
    /// Epochs without improvement that stop the run; 0 = never.
    public var earlyStoppingPatience: Int { self[Keys.earlyStoppingPatience] }
    public var earlyStoppingMinDelta: Double { self[Keys.earlyStoppingMinDelta] }
    public var testEveryEpoch: Bool { self[Keys.testEveryEpoch] }

    // checkpoints
    public var checkpointEverySteps: Int { self[Keys.checkpointEverySteps] }
    public var checkpointEveryEpochs: Int { self[Keys.checkpointEveryEpochs] }
    public var checkpointsKept: Int { self[Keys.checkpointKeep] }
    // logging
    /// Write TensorBoard event files in <run directory>/tensorboard.
    public var logsToTensorBoard: Bool { self[Keys.tensorBoard] }

    // output
    /// output.model, else model.h5 in the run directory (runs/<name> by default).
    public func modelPath(runDirectory: String?) -> String {
        let path = self[Keys.outputModel]
        return path.isEmpty ? "\(runDirectory ?? defaultRunDirectory)/model.h5" : path
    }

    public var defaultRunDirectory: String { "runs/\(name)" }

    /// The experiment as a TOML document holding every key, the form stored next to results
    /// (and in model files) so a run can be repeated exactly.
    public var resolvedTOML: String {
        var text = "# Resolved experiment '\(name)': every key, defaults included.\n"
        var section = ""
        for key in ExperimentSchema.keys {
            let parts = key.name.split(separator: ".", maxSplits: 1).map(String.init)
            if parts[0] != section {
                section = parts[0]
                text += "\n[\(section)]\n"
            }
            text += "\(parts[1]) = \(values[key.name] ?? key.defaultValue)\n"
        }
        return text
    }

    /// The keys whose value differs from `original`'s and may not change on a resume
    /// (the first one in schema order), with both values.
    public func unchangeableDifference(from original: Experiment) -> (key: String, was: ConfigValue, now: ConfigValue)? {
        for key in ExperimentSchema.keys where !key.changeableOnResume {
            let was = original.values[key.name] ?? key.defaultValue
            let now = values[key.name] ?? key.defaultValue
            if was != now { return (key.name, was, now) }
        }
        return nil
    }
}
