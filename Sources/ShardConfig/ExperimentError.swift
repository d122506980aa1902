/// Mistakes in an experiment file or in `--set` overrides. Each message names the file or key
/// and says how to fix it.
public enum ExperimentError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case syntax(source: String, line: Int, column: Int, message: String)
    case unknownKey(source: String, key: String, suggestion: String?)
    case wrongType(source: String, key: String, expected: String, found: String)
    case invalidValue(source: String, key: String, value: String, reason: String)
    case badOverride(text: String, reason: String)
    /// A `--set` on `--resume` of a key that must stay as the run was started.
    case unchangeableOnResume(key: String, was: String, now: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "experiment file \(path) does not exist; pass a path such as experiments/fashion-mnist-mlp.toml"
        case .unreadable(let path, let reason):
            return "cannot read experiment file \(path): it \(reason)"
        case .syntax(let source, let line, let column, let message):
            return "\(source):\(line):\(column): TOML syntax error: \(message)"
        case .unknownKey(let source, let key, let suggestion):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? "; see experiments/README.md for the keys"
            return "\(source): unknown key '\(key)'\(hint)"
        case .wrongType(let source, let key, let expected, let found):
            return "\(source): '\(key)' must be \(expected), found \(found)"
        case .invalidValue(let source, let key, let value, let reason):
            return "\(source): '\(key)' = \(value) is invalid: \(reason)"
        case .unchangeableOnResume(let key, let was, let now):
            return "--set \(key) cannot change on --resume (the run has \(was), --set gives \(now)); only \(ExperimentSchema.changeableOnResume.joined(separator: ", ")) may. Start a new run with another --run-dir to change it"
        case .badOverride(let text, let reason):
            return "--set \(text): \(reason); write it as section.key=value with a TOML value, e.g. --set optimizer.learning_rate=0.01"
        }
    }
}
