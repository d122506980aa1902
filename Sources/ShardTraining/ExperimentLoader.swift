import Foundation
import ShardNetwork

/// Reads an experiment: schema defaults, then the TOML file, then `--set` overrides, each key
/// checked for existence and type, then the values checked for meaning.
public enum ExperimentLoader {
    public static func load(path: String, overrides: [String] = []) throws(ExperimentError) -> Experiment {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try load(text: text, name: name, source: path, overrides: overrides)
    }

    public static func load(text: String, name: String, source: String,
                            overrides: [String] = []) throws(ExperimentError) -> Experiment {
        var values: [String: ConfigValue] = [:]
        for key in ExperimentSchema.keys { values[key.name] = key.defaultValue }
        for (key, value) in try TOMLFlattener.parse(text, source: source) {
            values[key] = try checkedValue(key: key, value: value, source: source)
        }
        for override in overrides {
            let (key, value) = try parseOverride(override)
            values[key] = try checkedValue(key: key, value: value, source: "--set")
        }
        var experiment = Experiment(name: name, values: values)
        try validate(experiment, source: source)
        experiment.resolveShardRows(processors: ProcessInfo.processInfo.activeProcessorCount)
        return experiment
    }

    /// `section.key=value`, the value in TOML syntax (bare words are taken as strings so
    /// `--set model.activation=tanh` works without shell-quoted quotes).
    static func parseOverride(_ text: String) throws(ExperimentError) -> (String, ConfigValue) {
        guard let equals = text.firstIndex(of: "=") else {
            throw .badOverride(text: text, reason: "no '='")
        }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces)
        let rawValue = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard key.contains("."), !rawValue.isEmpty else {
            throw .badOverride(text: text, reason: "expected section.key=value")
        }
        let parsed = try? TOMLFlattener.parse("value = \(rawValue)", source: "--set")
        if let parsed, parsed.count == 1 { return (key, parsed[0].1) }
        let isBareWord = rawValue.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
        guard isBareWord else { throw .badOverride(text: text, reason: "'\(rawValue)' is not a TOML value") }
        return (key, .string(rawValue))
    }

    private static func checkedValue(key: String, value: ConfigValue, source: String) throws(ExperimentError) -> ConfigValue {
        guard let spec = ExperimentSchema.key(named: key) else {
            throw .unknownKey(source: source, key: key, suggestion: ExperimentSchema.suggestion(for: key))
        }
        switch (spec.kind, value) {
        case (.integer, .integer), (.float, .float), (.string, .string), (.bool, .bool):
            return value
        case (.float, .integer(let integer)):
            return .float(Double(integer))
        case (.integerArray, .array(let items)) where items.allSatisfy({ if case .integer = $0 { true } else { false } }):
            return value
        default:
            throw .wrongType(source: source, key: key, expected: spec.kind.name,
                             found: "\(value.kindName) (\(value))")
        }
    }

    private static func validate(_ experiment: Experiment, source: String) throws(ExperimentError) {
        func invalid(_ key: String, _ reason: String) -> ExperimentError {
            .invalidValue(source: source, key: key, value: experiment.values[key]!.description, reason: reason)
        }
        func oneOf(_ key: String, _ allowed: [String]) throws(ExperimentError) {
            guard case .string(let value) = experiment.values[key]!, allowed.contains(value) else {
                throw invalid(key, "use one of \(allowed.joined(separator: ", "))")
            }
        }
        try oneOf("model.activation", Activation.allCases.map(\.rawValue))
        try oneOf("model.output_activation", Activation.allCases.map(\.rawValue))
        try oneOf("model.loss", Loss.allCases.map(\.rawValue))
        try oneOf("model.init", ["auto"] + Network.Initialization.allCases.map(\.rawValue))
        try oneOf("optimizer.name", OptimizerConfiguration.Kind.allCases.map(\.rawValue))
        try oneOf("schedule.name", ["constant", "step", "cosine"])
        if experiment.dataPath.isEmpty { throw invalid("data.path", "give the dataset's HDF5 file") }
        if experiment.hidden.contains(where: { $0 <= 0 }) {
            throw invalid("model.hidden", "layer widths must be positive")
        }
        let rate = experiment.learningRate
        if !(rate > 0) || !rate.isFinite { throw invalid("optimizer.learning_rate", "must be a positive number") }
        let optimizer = experiment.optimizer
        if !(0..<1).contains(optimizer.momentum) {
            throw invalid("optimizer.momentum", "must be in [0, 1)")
        }
        if optimizer.weightDecay < 0 { throw invalid("optimizer.weight_decay", "must not be negative") }
        if !(0..<1).contains(optimizer.beta1) { throw invalid("optimizer.beta1", "must be in [0, 1)") }
        if !(0..<1).contains(optimizer.beta2) { throw invalid("optimizer.beta2", "must be in [0, 1)") }
        if !(optimizer.epsilon > 0) { throw invalid("optimizer.epsilon", "must be positive") }
        if experiment.epochs < 1 { throw invalid("training.epochs", "must be at least 1") }
        if experiment.batchSize < 1 { throw invalid("training.batch_size", "must be at least 1") }
        if experiment.workers < 0 {
            throw invalid("training.workers", "must be at least 1 (or 0 for one per processor)")
        }
        if case .integer(let rows) = experiment.values["training.shard_rows"]!, rows < 0 {
            throw invalid("training.shard_rows", "must be at least 1 (or 0 to pick from the batch size)")
        }
        for (key, minimum) in [("checkpoint.every_steps", 0), ("checkpoint.every_epochs", 1), ("checkpoint.keep", 1)] {
            if case .integer(let value) = experiment.values[key]!, value < minimum {
                throw invalid(key, "must be at least \(minimum)")
            }
        }
        if case .integer(let warmup) = experiment.values["schedule.warmup_steps"]!, warmup < 0 {
            throw invalid("schedule.warmup_steps", "must not be negative")
        }
        if case .integer(let every) = experiment.values["schedule.step_epochs"]!, every < 1 {
            throw invalid("schedule.step_epochs", "must be at least 1")
        }
    }
}
