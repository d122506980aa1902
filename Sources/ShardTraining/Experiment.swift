import ShardNetwork

/// A fully resolved experiment: every key of the schema with a checked value.
public struct Experiment: Sendable, Equatable {
    /// The experiment's name: the file's name without `.toml`.
    public var name: String
    /// Every schema key with its resolved value, in schema order.
    public private(set) var values: [String: ConfigValue]

    // data
    public var dataPath: String { string("data.path") }
    public var trainSplit: String { string("data.train_split") }
    public var testSplit: String { string("data.test_split") }
    public var featuresName: String { string("data.features") }
    public var targetsName: String { string("data.targets") }
    // model
    public var hidden: [Int] {
        if case .array(let items) = values["model.hidden"] {
            return items.compactMap { if case .integer(let v) = $0 { v } else { nil } }
        }
        return []
    }
    public var activation: Activation { Activation(rawValue: string("model.activation"))! }
    public var loss: Loss { Loss(rawValue: string("model.loss"))! }
    public var outputActivation: Activation { Activation(rawValue: string("model.output_activation"))! }
    public var initialization: Network.Initialization? { Network.Initialization(rawValue: string("model.init")) }
    // optimizer
    public var learningRate: Float { Float(number("optimizer.learning_rate")) }
    public var optimizer: OptimizerConfiguration {
        let kind = OptimizerConfiguration.Kind(rawValue: string("optimizer.name"))!
        var momentum = Float(number("optimizer.momentum"))
        if momentum < 0 { momentum = kind == .momentum || kind == .nesterov ? 0.9 : 0 }
        return OptimizerConfiguration(
            kind: kind, momentum: momentum, weightDecay: Float(number("optimizer.weight_decay")),
            beta1: Float(number("optimizer.beta1")), beta2: Float(number("optimizer.beta2")),
            epsilon: Float(number("optimizer.epsilon")))
    }
    // schedule
    public func schedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch string("schedule.name") {
        case "step":
            decay = .step(everySteps: integer("schedule.step_epochs") * stepsPerEpoch,
                          gamma: Float(number("schedule.gamma")))
        case "cosine":
            decay = .cosine(totalSteps: epochs * stepsPerEpoch,
                            minimum: Float(number("schedule.min_learning_rate")))
        default:
            decay = .constant
        }
        return LearningRateSchedule(baseRate: learningRate, decay: decay,
                                    warmupSteps: integer("schedule.warmup_steps"))
    }
    // training
    public var epochs: Int { integer("training.epochs") }
    public var batchSize: Int { integer("training.batch_size") }
    public var seed: UInt64 { UInt64(bitPattern: Int64(integer("training.seed"))) }
    /// 0 means one worker per active processor.
    public var workers: Int { integer("training.workers") }
    /// Rows per micro-shard: the unit of work the engine hands a worker. The weights depend on
    /// it (and on the batch size), never on the worker count. Always resolved: a 0 in the file
    /// becomes `automaticShardRows` when the experiment is loaded, and the resolved experiment
    /// records the number, so a rerun or resume elsewhere cuts batches the same way.
    public var shardRows: Int { min(integer("training.shard_rows"), batchSize) }

    /// One micro-shard per processor at this batch size, at least 16 rows (smaller products
    /// waste BLAS's blocking). Measured on 2 cores, B = 512: 64-row shards gave 91k samples/s
    /// on 1 worker and 137k on 2; 256-row shards (this rule) 113k and 193k (docs/engine.md).
    static func automaticShardRows(batchSize: Int, processors: Int) -> Int {
        min(batchSize, max(16, (batchSize + processors - 1) / max(processors, 1)))
    }

    mutating func resolveShardRows(processors: Int) {
        if case .integer(0) = values["training.shard_rows"] {
            values["training.shard_rows"] = .integer(Self.automaticShardRows(batchSize: batchSize, processors: processors))
        }
    }

    // output
    /// output.model, else model.h5 in the run directory (runs/<name> by default).
    public func modelPath(runDirectory: String?) -> String {
        let path = string("output.model")
        return path.isEmpty ? "\(runDirectory ?? defaultRunDirectory)/model.h5" : path
    }

    public var defaultRunDirectory: String { "runs/\(name)" }

    // checkpoints
    public var checkpointEverySteps: Int { integer("checkpoint.every_steps") }
    public var checkpointEveryEpochs: Int { integer("checkpoint.every_epochs") }
    public var checkpointsKept: Int { integer("checkpoint.keep") }

    /// Keys a resumed run may change; every other key must equal the checkpoint's.
    public static let changeableOnResume: Set<String> = [
        "training.epochs", "training.workers", "checkpoint.every_steps", "checkpoint.every_epochs",
        "checkpoint.keep", "output.model",
    ]

    init(name: String, values: [String: ConfigValue]) {
        self.name = name
        self.values = values
    }

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
            text += "\(parts[1]) = \(values[key.name]!)\n"
        }
        return text
    }

    private func string(_ key: String) -> String {
        if case .string(let value) = values[key] { return value }
        preconditionFailure("experiment key \(key) is not a string")
    }

    private func integer(_ key: String) -> Int {
        if case .integer(let value) = values[key] { return value }
        preconditionFailure("experiment key \(key) is not an integer")
    }

    private func number(_ key: String) -> Double {
        switch values[key] {
        case .float(let value): return value
        case .integer(let value): return Double(value)
        default: preconditionFailure("experiment key \(key) is not a number")
        }
    }
}
