import ShardNetwork

/// Every key an experiment file may hold, in one table: its type, default, documented range,
/// meaning and whether a resumed run may change it. The loader, the validation, the typed
/// `Experiment` accessors, the resolved TOML, `--set` and the key table of experiments/README.md
/// (checked by a test) all come from here.
public enum ExperimentSchema {
    public static let keys: [AnyExperimentKey] = [
        .init(Keys.dataPath), .init(Keys.trainSplit), .init(Keys.testSplit), .init(Keys.features),
        .init(Keys.targets),
        .init(Keys.hidden), .init(Keys.activation), .init(Keys.loss), .init(Keys.outputActivation),
        .init(Keys.initialization),
        .init(Keys.optimizerName), .init(Keys.learningRate), .init(Keys.momentum), .init(Keys.weightDecay),
        .init(Keys.beta1), .init(Keys.beta2), .init(Keys.epsilon),
        .init(Keys.scheduleName), .init(Keys.warmupSteps), .init(Keys.stepEpochs), .init(Keys.gamma),
        .init(Keys.minimumLearningRate),
        .init(Keys.epochs), .init(Keys.batchSize), .init(Keys.seed), .init(Keys.workers), .init(Keys.shardRows),
        .init(Keys.checkpointEverySteps), .init(Keys.checkpointEveryEpochs), .init(Keys.checkpointKeep),
        .init(Keys.outputModel),
        .init(Keys.tensorBoard),
    ]

    public static func key(named name: String) -> AnyExperimentKey? { keys.first { $0.name == name } }

    /// Keys a resumed run may change; every other key must equal the checkpoint's.
    public static var changeableOnResume: [String] { keys.filter(\.changeableOnResume).map(\.name) }

    /// The closest known key to a mistyped one: the same last component in another section
    /// (`training.learning_rate`), or a small edit distance.
    static func suggestion(for unknown: String) -> String? {
        let last = unknown.split(separator: ".").last.map(String.init) ?? unknown
        if let sameName = keys.first(where: { $0.name.hasSuffix("." + last) }) {
            return sameName.name
        }
        let scored = keys.map { ($0.name, editDistance($0.name, unknown)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, unknown.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The Markdown key table of experiments/README.md, generated from this schema.
    public static var markdownTable: String {
        var text = "| key | type | default | range | meaning |\n|---|---|---|---|---|\n"
        for key in keys {
            let resume = key.changeableOnResume ? " May change on `--resume`." : ""
            text += "| `\(key.name)` | \(key.kindName) | `\(key.defaultValue)` | \(key.range) | \(key.summary)\(resume) |\n"
        }
        return text
    }
}

/// The keys themselves, each with everything said about it once.
public enum Keys {
    private static func oneOf(_ names: [String]) -> (String, @Sendable (String) -> Bool) {
        (names.map { "`\($0)`" }.joined(separator: ", "), { names.contains($0) })
    }

    // MARK: data
    public static let dataPath = ExperimentKey<String>(
        "data.path", "datasets/fashion-mnist.h5", range: "a file path", { !$0.isEmpty },
        "the dataset file (datasets/README.md), relative to the current directory")
    public static let trainSplit = ExperimentKey<String>(
        "data.train_split", "train", range: "a group name", { !$0.isEmpty }, "group of the training split")
    public static let testSplit = ExperimentKey<String>(
        "data.test_split", "test", range: "a group name", { !$0.isEmpty }, "group evaluated after every epoch")
    public static let features = ExperimentKey<String>(
        "data.features", "x", range: "a dataset name", { !$0.isEmpty }, "features dataset in each split")
    public static let targets = ExperimentKey<String>(
        "data.targets", "y", range: "a dataset name", { !$0.isEmpty }, "labels/targets dataset in each split")

    // MARK: model
    public static let hidden = ExperimentKey<[Int]>(
        "model.hidden", [256, 128], range: "widths 1 ... 16777216, at most 1000 layers",
        { $0.count <= 1000 && $0.allSatisfy { (1...(1 << 24)).contains($0) } },
        "hidden layer widths; `[]` for a linear model")
    static let activationNames = oneOf(Activation.allCases.map(\.rawValue))
    public static let activation = ExperimentKey<String>(
        "model.activation", "relu", range: activationNames.0, activationNames.1, "hidden activation")
    static let lossNames = oneOf(Loss.allCases.map(\.rawValue))
    public static let loss = ExperimentKey<String>(
        "model.loss", "cross_entropy", range: lossNames.0, lossNames.1,
        "`cross_entropy` (softmax output, fused and stable) or `mse`")
    public static let outputActivation = ExperimentKey<String>(
        "model.output_activation", "identity", range: activationNames.0, activationNames.1,
        "output activation under `mse` (ignored under cross-entropy)")
    static let initializationNames = oneOf(["auto"] + Network.Initialization.allCases.map(\.rawValue))
    public static let initialization = ExperimentKey<String>(
        "model.init", "auto", range: initializationNames.0, initializationNames.1,
        "`he` (normal, 2/fan-in), `glorot` (uniform), or `auto`: He for ReLU, Glorot otherwise; biases start at 0")

    // MARK: optimizer
    static let optimizerNames = oneOf(OptimizerConfiguration.Kind.allCases.map(\.rawValue))
    public static let optimizerName = ExperimentKey<String>(
        "optimizer.name", "sgd", range: optimizerNames.0, optimizerNames.1, "the update rule")
    public static let learningRate = ExperimentKey<Double>(
        "optimizer.learning_rate", 0.1, range: "> 0", { $0 > 0 && $0.isFinite }, "base learning rate")
    public static let momentum = ExperimentKey<Double>(
        "optimizer.momentum", -1, range: "[0, 1), or -1", { $0 == -1 || (0..<1).contains($0) },
        "momentum coefficient; -1 = the optimizer's default (0.9 for momentum/nesterov, 0 for sgd); sgd with momentum > 0 is heavy-ball momentum")
    public static let weightDecay = ExperimentKey<Double>(
        "optimizer.weight_decay", 0, range: ">= 0", { $0 >= 0 && $0.isFinite },
        "L2 added to the gradient (sgd family, adam), decoupled for adamw; weights only, never biases")
    public static let beta1 = ExperimentKey<Double>(
        "optimizer.beta1", 0.9, range: "[0, 1)", { (0..<1).contains($0) }, "Adam first-moment decay")
    public static let beta2 = ExperimentKey<Double>(
        "optimizer.beta2", 0.999, range: "[0, 1)", { (0..<1).contains($0) }, "Adam second-moment decay")
    public static let epsilon = ExperimentKey<Double>(
        "optimizer.epsilon", 1e-8, range: "> 0", { $0 > 0 && $0.isFinite }, "Adam denominator term")

    // MARK: schedule
    static let scheduleNames = oneOf(["constant", "step", "cosine"])
    public static let scheduleName = ExperimentKey<String>(
        "schedule.name", "constant", range: scheduleNames.0, scheduleNames.1, "the learning-rate schedule")
    public static let warmupSteps = ExperimentKey<Int>(
        "schedule.warmup_steps", 0, range: "0 ... 2147483647", { (0...Int(Int32.max)).contains($0) },
        "linear warm-up from lr/warmup to lr over this many updates")
    public static let stepEpochs = ExperimentKey<Int>(
        "schedule.step_epochs", 10, range: "1 ... 1000000", { (1...1_000_000).contains($0) },
        "`step`: multiply the rate by `gamma` every this many epochs")
    public static let gamma = ExperimentKey<Double>(
        "schedule.gamma", 0.1, range: "(0, 1]", { $0 > 0 && $0 <= 1 }, "`step`: the factor")
    public static let minimumLearningRate = ExperimentKey<Double>(
        "schedule.min_learning_rate", 0, range: ">= 0", { $0 >= 0 && $0.isFinite },
        "`cosine`: the rate the half cosine ends at, one update after the last (as PyTorch's CosineAnnealingLR with T_max = all updates); the last update uses the rate just above it")

    // MARK: training
    public static let epochs = ExperimentKey<Int>(
        "training.epochs", 10, range: "1 ... 1000000", { (1...1_000_000).contains($0) },
        "passes over the train split", changeableOnResume: true)
    public static let batchSize = ExperimentKey<Int>(
        "training.batch_size", 128, range: "1 ... train rows", { (1...(1 << 30)).contains($0) },
        "samples per update, at most the train split's rows; a short last batch is kept and averaged over its own size")
    public static let seed = ExperimentKey<Int>(
        "training.seed", 1, range: "any integer", { _ in true }, "seeds initialisation and the per-epoch shuffle")
    public static let workers = ExperimentKey<Int>(
        "training.workers", 0, range: "0 ... 1024", { (0...1024).contains($0) },
        "worker threads; 0 = one per active processor; more than the batch size is clamped to the batch size. The weights do not depend on it (docs/engine.md)",
        changeableOnResume: true)
    public static let shardRows = ExperimentKey<Int>(
        "training.shard_rows", 0, range: ">= 0", { $0 >= 0 },
        "rows per micro-shard, the unit of work a worker takes; 0 = ceil(batch / processors), at least 16, resolved when the experiment loads and recorded in the run's experiment.toml. The weights depend on it and on the batch size, not on the worker count")

    // MARK: checkpoint
    public static let checkpointEverySteps = ExperimentKey<Int>(
        "checkpoint.every_steps", 0, range: ">= 0", { $0 >= 0 },
        "also checkpoint every N updates (0 = only at epoch ends)", changeableOnResume: true)
    public static let checkpointEveryEpochs = ExperimentKey<Int>(
        "checkpoint.every_epochs", 1, range: ">= 1", { $0 >= 1 },
        "checkpoint every N epochs (always after the last)", changeableOnResume: true)
    public static let checkpointKeep = ExperimentKey<Int>(
        "checkpoint.keep", 3, range: ">= 1", { $0 >= 1 },
        "newest checkpoints kept, plus the best (docs/checkpoint-format.md says what best means)",
        changeableOnResume: true)

    // MARK: output
    public static let outputModel = ExperimentKey<String>(
        "output.model", "", range: "a file path or empty", { _ in true },
        "where the model file goes; empty = `<run directory>/model.h5` (also `train --output`)",
        changeableOnResume: true)

    // MARK: logging
    public static let tensorBoard = ExperimentKey<Bool>(
        "logging.tensorboard", false, range: "`true`, `false`", { _ in true },
        "also write TensorBoard event files in `<run directory>/tensorboard/` (README: TensorBoard)",
        changeableOnResume: true)
}

/// One typed key of the schema.
public struct ExperimentKey<Value: ConfigConvertible>: Sendable {
    public let name: String
    public let defaultValue: Value
    /// The documented range, as the README shows it.
    public let range: String
    let accepts: @Sendable (Value) -> Bool
    public let summary: String
    public let changeableOnResume: Bool

    init(_ name: String, _ defaultValue: Value, range: String, _ accepts: @escaping @Sendable (Value) -> Bool,
         _ summary: String, changeableOnResume: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.range = range
        self.accepts = accepts
        self.summary = summary
        self.changeableOnResume = changeableOnResume
    }
}

/// A key of any type, as the table holds it.
public struct AnyExperimentKey: Sendable {
    public let name: String
    public let kindName: String
    public let defaultValue: ConfigValue
    public let range: String
    public let summary: String
    public let changeableOnResume: Bool
    /// The value converted to the key's type (integers widen to numbers), or nil for the
    /// wrong type.
    let convert: @Sendable (ConfigValue) -> ConfigValue?
    /// Whether a value of the right type is in the key's range.
    let inRange: @Sendable (ConfigValue) -> Bool

    init<Value>(_ key: ExperimentKey<Value>) {
        name = key.name
        kindName = Value.kindName
        defaultValue = key.defaultValue.configValue
        range = key.range
        summary = key.summary
        changeableOnResume = key.changeableOnResume
        convert = { Value(config: $0)?.configValue }
        let accepts = key.accepts
        inRange = { value in Value(config: value).map(accepts) ?? false }
    }
}
