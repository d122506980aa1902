/// A plain value read from an experiment file or a `--set` override.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case array([ConfigValue])

    /// TOML spelling, used for the resolved experiment file and in messages.
    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .float(let value):
            if value.isNaN { return "nan" }
            if value.isInfinite { return value > 0 ? "inf" : "-inf" }
            let text = String(value)
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        case .string(let value):
            var escaped = ""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\t": escaped += "\\t"
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return "\"\(escaped)\""
        case .bool(let value): return value ? "true" : "false"
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// What kind of value this is, for error messages.
    public var kindName: String {
        switch self {
        case .integer: return "an integer"
        case .float: return "a number"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .array: return "an array"
        }
    }
}

/// A Swift type an experiment key can hold, converted from and to `ConfigValue`.
public protocol ConfigConvertible: Sendable {
    init?(config: ConfigValue)
    var configValue: ConfigValue { get }
    /// "an integer", "a number", ... for the README and error messages.
    static var kindName: String { get }
}

extension Int: ConfigConvertible {
    public init?(config: ConfigValue) {
        guard case .integer(let value) = config else { return nil }
        self = value
    }
    public var configValue: ConfigValue { .integer(self) }
    public static var kindName: String { "integer" }
}

extension Double: ConfigConvertible {
    /// Integers widen: `learning_rate = 1` is a number.
    public init?(config: ConfigValue) {
        switch config {
        case .float(let value): self = value
        case .integer(let value): self = Double(value)
        default: return nil
        }
    }
    public var configValue: ConfigValue { .float(self) }
    public static var kindName: String { "number" }
}

extension String: ConfigConvertible {
    public init?(config: ConfigValue) {
        guard case .string(let value) = config else { return nil }
        self = value
    }
    public var configValue: ConfigValue { .string(self) }
    public static var kindName: String { "string" }
}

extension Bool: ConfigConvertible {
    public init?(config: ConfigValue) {
        guard case .bool(let value) = config else { return nil }
        self = value
    }
    public var configValue: ConfigValue { .bool(self) }
    public static var kindName: String { "boolean" }
}

extension Array: ConfigConvertible where Element == Int {
    public init?(config: ConfigValue) {
        guard case .array(let items) = config else { return nil }
        var values: [Int] = []
        for item in items {
            guard case .integer(let value) = item else { return nil }
            values.append(value)
        }
        self = values
    }
    public var configValue: ConfigValue { .array(map { .integer($0) }) }
    public static var kindName: String { "array of integers" }
}

/// `model.dropout`: one rate for every hidden layer, or one per hidden layer.
public enum DropoutRates: ConfigConvertible, Equatable {
    case one(Double)
    case perLayer([Double])

    public init?(config: ConfigValue) {
        if let rate = Double(config: config) {
            self = .one(rate)
            return
        }
        guard case .array(let items) = config else { return nil }
        var rates: [Double] = []
        for item in items {
            guard let rate = Double(config: item) else { return nil }
            rates.append(rate)
        }
        self = .perLayer(rates)
    }

    public var configValue: ConfigValue {
        switch self {
        case .one(let rate): return rate.configValue
        case .perLayer(let rates): return .array(rates.map(\.configValue))
        }
    }

    public static var kindName: String { "number or array of numbers" }

    /// The rate of each of `hiddenLayers` layers (a per-layer list as it is).
    public func rates(hiddenLayers: Int) -> [Double] {
        switch self {
        case .one(let rate): return Array(repeating: rate, count: hiddenLayers)
        case .perLayer(let rates): return rates
        }
    }
}
