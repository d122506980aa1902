import Foundation
import ShardCore

/// Reads an experiment: schema defaults, then the TOML file, then `--set` overrides, each key
/// checked for existence and type, then the values checked for meaning.
public enum ExperimentLoader {
    /// `processors` resolves an automatic `training.shard_rows` (ceil(batch / processors), at
    /// least 16): this machine's by default; a run on MPI ranks passes the whole world's, the
    /// same on every rank, so every rank cuts batches the same way.
    public static func load(path: String, overrides: [String] = [],
                            processors: Int = ProcessInfo.processInfo.activeProcessorCount) throws(ExperimentError) -> Experiment {
        if let problem = fileProblem(path) {
            throw problem == "does not exist" ? .fileNotFound(path: path) : .unreadable(path: path, reason: problem)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "could not be read")
        }
        guard !data.contains(0), let text = String(validating: data, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "is not UTF-8 text (or holds a NUL byte); an experiment file is TOML text")
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try load(text: text, name: name, source: path, overrides: overrides, processors: processors)
    }

    public static func load(text: String, name: String, source: String, overrides: [String] = [],
                            processors: Int = ProcessInfo.processInfo.activeProcessorCount) throws(ExperimentError) -> Experiment {
        var values: [String: ConfigValue] = [:]
        for key in ExperimentSchema.keys { values[key.name] = key.defaultValue }
        for (key, value) in try TOMLReader.parse(text, source: source) {
            values[key] = try checkedValue(key: key, value: value, source: source)
        }
        for override in overrides {
            let (key, value) = try parseOverride(override)
            values[key] = try checkedValue(key: key, value: value, source: "--set")
        }
        var experiment = Experiment(name: name, values: values)
        try checkTogether(experiment, source: source)
        experiment.resolveShardRows(processors: processors)
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
        var problem = "'\(rawValue)' is not a TOML value"
        do {
            let parsed = try TOMLReader.parse("value = \(rawValue)", source: "--set")
            if parsed.count == 1 { return (key, parsed[0].1) }
        } catch {
            if case .syntax(_, _, _, let message) = error { problem = message }
        }
        // A bare word is a string, unless it is written as a number: `epochs=99999999999999999999`
        // is a number out of range, not the string "99999999999999999999".
        let isBareWord = rawValue.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
        let isNumeral = rawValue.contains { $0.isNumber } && rawValue.allSatisfy { "0123456789_.eE+-".contains($0) }
        guard isBareWord, !isNumeral else { throw .badOverride(text: text, reason: problem) }
        return (key, .string(rawValue))
    }

    private static func checkedValue(key: String, value: ConfigValue, source: String) throws(ExperimentError) -> ConfigValue {
        guard let spec = ExperimentSchema.key(named: key) else {
            throw .unknownKey(source: source, key: key, suggestion: ExperimentSchema.suggestion(for: key))
        }
        guard let converted = spec.convert(value) else {
            throw .wrongType(source: source, key: key, expected: "\(article(spec.kindName)) \(spec.kindName)",
                             found: "\(value.kindName) (\(value))")
        }
        guard spec.inRange(converted) else {
            throw .invalidValue(source: source, key: key, value: converted.description,
                                reason: "use \(spec.range)")
        }
        return converted
    }

    /// Keys whose ranges depend on each other.
    private static func checkTogether(_ experiment: Experiment, source: String) throws(ExperimentError) {
        let minimum = experiment[Keys.minimumLearningRate], rate = experiment[Keys.learningRate]
        if experiment[Keys.scheduleName] == "cosine", minimum > rate {
            throw .invalidValue(source: source, key: Keys.minimumLearningRate.name, value: String(minimum),
                                reason: "it is above optimizer.learning_rate (\(rate)); the cosine schedule decays from the rate down to this minimum")
        }
        func invalid(_ key: String, _ reason: String) -> ExperimentError {
            .invalidValue(source: source, key: key, value: experiment.values[key]?.description ?? "", reason: reason)
        }
        if case .perLayer(let rates) = experiment[Keys.dropout], rates.count != experiment.hidden.count {
            throw invalid(Keys.dropout.name, "give one rate, or one per hidden layer (\(experiment.hidden.count) in model.hidden)")
        }
        if experiment.validationFraction > 0 && !experiment.validationSplit.isEmpty {
            throw invalid(Keys.validationFraction.name, "give data.validation_split (\(experiment.validationSplit)) or data.validation_fraction, not both")
        }
        if experiment.earlyStoppingPatience > 0 && !experiment.hasValidationData {
            throw invalid(Keys.earlyStoppingPatience.name, "early stopping needs validation data: set data.validation_fraction (e.g. 0.1) or data.validation_split; it never looks at the test split")
        }
    }

    private static func article(_ noun: String) -> String {
        "aeiou".contains(noun.first ?? "x") ? "an" : "a"
    }
}
