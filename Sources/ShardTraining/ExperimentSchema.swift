/// Every key an experiment file may hold, its type, its default and what it means. The loader
/// rejects any other key, and experiments/README.md documents this same list.
enum ExperimentSchema {
    enum Kind: Equatable {
        case integer, float, string, bool, integerArray

        var name: String {
            switch self {
            case .integer: return "an integer"
            case .float: return "a number"
            case .string: return "a string"
            case .bool: return "true or false"
            case .integerArray: return "an array of integers"
            }
        }
    }

    struct Key {
        let name: String
        let kind: Kind
        let defaultValue: ConfigValue
    }

    static let keys: [Key] = [
        Key(name: "data.path", kind: .string, defaultValue: .string("datasets/fashion-mnist.h5")),
        Key(name: "data.train_split", kind: .string, defaultValue: .string("train")),
        Key(name: "data.test_split", kind: .string, defaultValue: .string("test")),
        Key(name: "data.features", kind: .string, defaultValue: .string("x")),
        Key(name: "data.targets", kind: .string, defaultValue: .string("y")),

        Key(name: "model.hidden", kind: .integerArray, defaultValue: .array([.integer(256), .integer(128)])),
        Key(name: "model.activation", kind: .string, defaultValue: .string("relu")),
        Key(name: "model.loss", kind: .string, defaultValue: .string("cross_entropy")),
        Key(name: "model.output_activation", kind: .string, defaultValue: .string("identity")),
        Key(name: "model.init", kind: .string, defaultValue: .string("auto")),

        Key(name: "optimizer.name", kind: .string, defaultValue: .string("sgd")),
        Key(name: "optimizer.learning_rate", kind: .float, defaultValue: .float(0.1)),
        // -1 means "the optimizer's default": 0.9 for momentum and nesterov, 0 for sgd.
        Key(name: "optimizer.momentum", kind: .float, defaultValue: .float(-1)),
        Key(name: "optimizer.weight_decay", kind: .float, defaultValue: .float(0)),
        Key(name: "optimizer.beta1", kind: .float, defaultValue: .float(0.9)),
        Key(name: "optimizer.beta2", kind: .float, defaultValue: .float(0.999)),
        Key(name: "optimizer.epsilon", kind: .float, defaultValue: .float(1e-8)),

        Key(name: "schedule.name", kind: .string, defaultValue: .string("constant")),
        Key(name: "schedule.warmup_steps", kind: .integer, defaultValue: .integer(0)),
        Key(name: "schedule.step_epochs", kind: .integer, defaultValue: .integer(10)),
        Key(name: "schedule.gamma", kind: .float, defaultValue: .float(0.1)),
        Key(name: "schedule.min_learning_rate", kind: .float, defaultValue: .float(0)),

        Key(name: "training.epochs", kind: .integer, defaultValue: .integer(10)),
        Key(name: "training.batch_size", kind: .integer, defaultValue: .integer(128)),
        Key(name: "training.seed", kind: .integer, defaultValue: .integer(1)),
        // 0 means one worker per active processor.
        Key(name: "training.workers", kind: .integer, defaultValue: .integer(0)),
        // Rows per micro-shard; 0 picks them from the batch size and the processor count
        // when the experiment is loaded (Experiment.automaticShardRows).
        Key(name: "training.shard_rows", kind: .integer, defaultValue: .integer(0)),

        // Checkpoints, in <run directory>/checkpoints: every N steps (0: only at epoch ends),
        // every N epochs, and always at the end; the newest `keep` are kept, plus the best.
        Key(name: "checkpoint.every_steps", kind: .integer, defaultValue: .integer(0)),
        Key(name: "checkpoint.every_epochs", kind: .integer, defaultValue: .integer(1)),
        Key(name: "checkpoint.keep", kind: .integer, defaultValue: .integer(3)),

        // Empty means <run directory>/model.h5.
        Key(name: "output.model", kind: .string, defaultValue: .string("")),
    ]

    static func key(named name: String) -> Key? { keys.first { $0.name == name } }

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
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
