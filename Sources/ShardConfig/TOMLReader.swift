/// Reads the TOML an experiment file is written in, into dotted keys (`optimizer.learning_rate`)
/// and their values, in document order.
///
/// It reads TOML 1.0's tables (`[section]`, `[a.b]`), bare, quoted and dotted keys, comments,
/// basic and literal strings, integers (decimal, 0x, 0o, 0b, with `_`), floats (with exponent,
/// `inf`, `nan`), booleans and arrays (nested, multi-line, trailing comma). What experiments
/// never need (inline tables, arrays of tables, multi-line strings, dates) is refused with a
/// message saying so. Written here rather than taken from a C++ library because that library
/// aborted the process on some malformed inputs (an assertion in its key parser, found by
/// fuzzing): every input must end in a value or a one-line error, never a trap.
struct TOMLReader {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private let source: String

    /// Nested arrays deeper than this are refused (so no input can exhaust the stack).
    static let maximumDepth = 32

    static func parse(_ text: String, source: String) throws(ExperimentError) -> [(String, ConfigValue)] {
        var reader = TOMLReader(bytes: Array(text.utf8), source: source)
        return try reader.document()
    }

    private init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    // MARK: The document

    private mutating func document() throws(ExperimentError) -> [(String, ConfigValue)] {
        var result: [(String, ConfigValue)] = []
        var defined: Set<String> = []
        var tables: Set<String> = []
        var prefix: [String] = []
        while true {
            skipBlankLinesAndComments()
            guard let byte = peek() else { return result }
            if byte == UInt8(ascii: "[") {
                advance()
                if peek() == UInt8(ascii: "[") { throw error("arrays of tables ([[...]]) are not used in experiment files") }
                skipSpaces()
                prefix = try key()
                skipSpaces()
                try expect("]", "a ']' to close the table header")
                let name = prefix.joined(separator: ".")
                guard !defined.contains(name), tables.insert(name).inserted else {
                    throw error("table [\(name)] is defined twice")
                }
            } else {
                let keyLine = line
                let parts = prefix + (try key())
                skipSpaces()
                try expect("=", "'=' after the key")
                skipSpaces()
                let value = try value(depth: 0)
                let name = parts.joined(separator: ".")
                for end in 1..<parts.count where defined.contains(parts[..<end].joined(separator: ".")) {
                    throw error("'\(name)' extends '\(parts[..<end].joined(separator: "."))', which already has a value", line: keyLine)
                }
                guard !tables.contains(name), defined.insert(name).inserted else {
                    throw error("key '\(name)' is given twice", line: keyLine)
                }
                result.append((name, value))
            }
            try endOfLine()
        }
    }

    // MARK: Keys

    /// A key: bare or quoted parts joined by dots.
    private mutating func key() throws(ExperimentError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let byte = peek() else { throw error("a key was expected") }
            if byte == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if byte == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = index
                while let b = peek(), Self.isBareKeyByte(b) { advance() }
                guard index > start else { throw error("a key was expected, found \(describe(byte))") }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return parts }
            advance()
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    // MARK: Values

    private mutating func value(depth: Int) throws(ExperimentError) -> ConfigValue {
        guard let byte = peek() else { throw error("a value was expected at the end of the file") }
        switch byte {
        case UInt8(ascii: "\""):
            if starts(with: "\"\"\"") { throw error("multi-line strings are not used in experiment files") }
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if starts(with: "'''") { throw error("multi-line strings are not used in experiment files") }
            return .string(try literalString())
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("arrays nested deeper than \(Self.maximumDepth)") }
            return try array(depth: depth + 1)
        case UInt8(ascii: "{"):
            throw error("inline tables ({...}) are not used in experiment files; write a [section] instead")
        default:
            return try scalar()
        }
    }

    private mutating func array(depth: Int) throws(ExperimentError) -> ConfigValue {
        advance()  // [
        var items: [ConfigValue] = []
        while true {
            skipBlankLinesAndComments()
            if peek() == UInt8(ascii: "]") {
                advance()
                return .array(items)
            }
            items.append(try value(depth: depth))
            skipBlankLinesAndComments()
            guard let byte = peek() else { throw error("an array is not closed with ']'") }
            if byte == UInt8(ascii: ",") {
                advance()
            } else if byte != UInt8(ascii: "]") {
                throw error("expected ',' or ']' in an array, found \(describe(byte))")
            }
        }
    }

    /// A number, a boolean, inf or nan: the run of characters up to a delimiter.
    private mutating func scalar() throws(ExperimentError) -> ConfigValue {
        let start = index
        while let byte = peek(), !Self.isDelimiter(byte) { advance() }
        let word = String(decoding: bytes[start..<index], as: UTF8.self)
        guard !word.isEmpty else {
            throw error("a value was expected, found \(peek().map(describe) ?? "the end of the file")")
        }
        if word == "true" { return .bool(true) }
        if word == "false" { return .bool(false) }
        if let value = Self.integer(word) { return .integer(value) }
        if let value = Self.float(word) { return .float(value) }
        if word.contains(":") || (word.count >= 10 && word.dropFirst(4).first == "-") {
            throw error("dates and times are not used in experiment files")
        }
        let digits = word.drop { $0 == "+" || $0 == "-" }
        if let first = digits.first, first.isASCII, first.isNumber {
            let isWellFormedInteger = Self.withoutUnderscores(digits, isDigit: { $0.isASCII && $0.isNumber })
                .map { $0 == "0" || !$0.hasPrefix("0") } ?? false
            if isWellFormedInteger || Double(String(digits))?.isInfinite == true {
                throw error("\(word) is outside the numbers this file can hold (integers \(Int.min) ... \(Int.max), floats of magnitude below 1.8e308)")
            }
            throw error("'\(word)' is not a TOML number (no leading zeros; '_' only between digits)")
        }
        throw error("'\(word)' is not a value; strings need quotes, e.g. \"\(word)\"")
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: " ")
            || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// Underscores only between digits, as TOML requires.
    private static func withoutUnderscores(_ digits: Substring, isDigit: (Character) -> Bool) -> String? {
        var previousWasDigit = false
        var result = ""
        for character in digits {
            if character == "_" {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
            } else {
                guard isDigit(character) else { return nil }
                result.append(character)
                previousWasDigit = true
            }
        }
        return previousWasDigit ? result : nil
    }

    static func integer(_ word: String) -> Int? {
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where word.hasPrefix(prefix) {
            guard let digits = withoutUnderscores(word.dropFirst(2), isDigit: { $0.isHexDigit && Int(String($0), radix: radix) != nil })
            else { return nil }
            return Int(digits, radix: radix)
        }
        var body = Substring(word)
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        guard let digits = withoutUnderscores(body, isDigit: { $0.isASCII && $0.isNumber }),
              digits == "0" || !digits.hasPrefix("0") else { return nil }
        return Int(sign + digits)
    }

    static func float(_ word: String) -> Double? {
        var body = Substring(word)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        if body == "inf" { return negative ? -.infinity : .infinity }
        if body == "nan" { return .nan }
        // int-part, then a fraction, an exponent or both.
        let exponentSplit = body.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false) }
        guard (1...2).contains(exponentSplit.count) else { return nil }
        let mantissa = exponentSplit[0]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        guard let whole = withoutUnderscores(parts[0], isDigit: isDigit), whole == "0" || !whole.hasPrefix("0") else { return nil }
        var text = whole
        if parts.count == 2 {
            guard let fraction = withoutUnderscores(parts[1], isDigit: isDigit) else { return nil }
            text += "." + fraction
        }
        if exponentSplit.count == 2 {
            var exponent = exponentSplit[1]
            var exponentSign = ""
            if let first = exponent.first, first == "+" || first == "-" {
                exponentSign = String(first)
                exponent = exponent.dropFirst()
            }
            guard let digits = withoutUnderscores(exponent, isDigit: isDigit) else { return nil }
            text += "e" + exponentSign + digits
        }
        // A written number that overflows to infinity is a mistake, not `inf`.
        guard parts.count == 2 || exponentSplit.count == 2, let value = Double(text), value.isFinite else { return nil }
        return negative ? -value : value
    }

    // MARK: Strings

    private mutating func basicString() throws(ExperimentError) -> String {
        advance()  // "
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw error("a string is not closed with '\"' on its line") }
            advance()
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard let escape = peek() else { throw error("a string ends in a lone '\\'") }
                advance()
                switch escape {
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    guard index + count <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else {
                        throw error("\\\(Character(Unicode.Scalar(escape))) needs \(count) hex digits of a Unicode scalar")
                    }
                    index += count
                    scalars.append(scalar)
                default:
                    throw error("unknown escape \\\(describe(escape)) in a string")
                }
            default:
                guard byte >= 0x20 || byte == UInt8(ascii: "\t"), byte != 0x7F else {
                    throw error("a control character (\(describe(byte))) in a string; write it as an escape")
                }
                run.append(byte)
            }
        }
    }

    private mutating func literalString() throws(ExperimentError) -> String {
        advance()  // '
        let start = index
        while let byte = peek(), byte != UInt8(ascii: "'") {
            guard byte != UInt8(ascii: "\n"), byte >= 0x20 || byte == UInt8(ascii: "\t"), byte != 0x7F else {
                throw error("a string is not closed with \"'\" on its line")
            }
            advance()
        }
        guard peek() != nil else { throw error("a string is not closed with \"'\"") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return text
    }

    // MARK: Spaces, comments, lines

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipComment() {
        guard peek() == UInt8(ascii: "#") else { return }
        while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
    }

    /// Spaces, comments and newlines (between statements, and inside arrays).
    private mutating func skipBlankLinesAndComments() {
        while true {
            skipSpaces()
            skipComment()
            if peek() == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { advance() }
            guard peek() == UInt8(ascii: "\n") else { return }
            advance()
        }
    }

    /// After a statement: spaces, a comment, then a newline or the end.
    private mutating func endOfLine() throws(ExperimentError) {
        skipSpaces()
        skipComment()
        if peek() == UInt8(ascii: "\r") { advance() }
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") else { throw error("expected the end of the line, found \(describe(byte))") }
        advance()
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func starts(with text: String) -> Bool {
        let prefix = Array(text.utf8)
        return index + prefix.count <= bytes.count && Array(bytes[index..<(index + prefix.count)]) == prefix
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private mutating func expect(_ character: Character, _ what: String) throws(ExperimentError) {
        guard let byte = peek(), byte == character.asciiValue else {
            throw error("expected \(what), found \(peek().map(describe) ?? "the end of the file")")
        }
        advance()
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'"
            : "byte 0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    private func error(_ message: String, line: Int? = nil) -> ExperimentError {
        .syntax(source: source, line: line ?? self.line, column: index - lineStart + 1, message: message)
    }
}
