import Foundation
import Testing
@testable import ShardConfig

/// The experiment files' TOML: what it reads, against values written out by hand, and what it
/// refuses, with the line of the mistake.
struct TOMLReaderTests {
    func parse(_ text: String) throws -> [String: ConfigValue] {
        Dictionary(uniqueKeysWithValues: try TOMLReader.parse(text, source: "t.toml"))
    }

    func syntaxError(_ text: String) -> (line: Int, message: String)? {
        do {
            _ = try TOMLReader.parse(text, source: "t.toml")
            return nil
        } catch {
            guard case .syntax(_, let line, _, let message) = error else { return nil }
            return (line, message)
        }
    }

    @Test func readsEveryValueForm() throws {
        let values = try parse("""
            # a comment
            top = 1
            [model]   # trailing comment
            hidden = [ 256, 128, ]
            nested = [[1, 2], [], [3]]
            name = "a \\"quoted\\" \\u00e9\\ttab"
            literal = 'C:\\path'
            "quoted key" = true
            [optimizer]
            learning_rate = 1e-3
            momentum = 0.9
            big = 1_000_000
            hex = 0xff
            octal = 0o17
            binary = 0b101
            negative = -7
            positive = +3.5
            infinity = -inf
            flag = false
            multi = [
              1,  # one
              2,
            ]
            [a.b]
            c.d = 0.5E+2
            """)
        #expect(values["top"] == .integer(1))
        #expect(values["model.hidden"] == .array([.integer(256), .integer(128)]))
        #expect(values["model.nested"] == .array([.array([.integer(1), .integer(2)]), .array([]), .array([.integer(3)])]))
        #expect(values["model.name"] == .string("a \"quoted\" \u{e9}\ttab"))
        #expect(values["model.literal"] == .string("C:\\path"))
        #expect(values["model.quoted key"] == .bool(true))
        #expect(values["optimizer.learning_rate"] == .float(0.001))
        #expect(values["optimizer.big"] == .integer(1_000_000))
        #expect(values["optimizer.hex"] == .integer(255))
        #expect(values["optimizer.octal"] == .integer(15))
        #expect(values["optimizer.binary"] == .integer(5))
        #expect(values["optimizer.negative"] == .integer(-7))
        #expect(values["optimizer.positive"] == .float(3.5))
        #expect(values["optimizer.infinity"] == .float(-.infinity))
        #expect(values["optimizer.flag"] == .bool(false))
        #expect(values["optimizer.multi"] == .array([.integer(1), .integer(2)]))
        #expect(values["a.b.c.d"] == .float(50))
        if case .float(let nan) = try parse("x = nan")["x"] { #expect(nan.isNaN) } else { Issue.record("nan") }
    }

    @Test(arguments: [
        ("a = 1\nb = ", 2, "value"),
        ("a = 1\n[x\nb = 2", 2, "']'"),
        ("a = \"open", 1, "not closed"),
        ("a = 1\na = 2", 2, "twice"),
        ("[t]\n[t]", 2, "twice"),
        ("a = {x = 1}", 1, "inline tables"),
        ("[[a]]", 1, "arrays of tables"),
        ("a = \"\"\"x\"\"\"", 1, "multi-line"),
        ("a = 1979-05-27", 1, "dates"),
        ("a = 99999999999999999999", 1, "outside the numbers"),
        ("a = 1e99999", 1, "outside the numbers"),
        ("a = tanh", 1, "need quotes"),
        ("a = 01", 1, "not a TOML number"),
        ("a = 1__0", 1, "not a TOML number"),
        ("a = [1, 2", 1, "not closed"),
        ("a = 1 b = 2", 1, "end of the line"),
        ("a = \"\\q\"", 1, "unknown escape"),
        ("a = \"\u{1}\"", 1, "control character"),
        ("= 1", 1, "key was expected"),
        ("a.b = 1\na.b.c = 2", 2, "already has a value"),
    ])
    func refusesWithTheLine(text: String, line: Int, mention: String) {
        guard let found = syntaxError(text) else {
            Issue.record("\(text.debugDescription) was accepted")
            return
        }
        #expect(found.line == line, "\(text.debugDescription): \(found)")
        #expect(found.message.contains(mention), "\(text.debugDescription): \(found.message)")
    }

    @Test func deepNestingAndGarbageEndInErrorsNotTraps() {
        #expect(syntaxError("a = " + String(repeating: "[", count: 100_000)) != nil)
        // The input that made the previous C++ TOML library abort (found by libFuzzer).
        var bytes: [UInt8] = [0x0A, 0x5B] + [UInt8](repeating: 0xFF, count: 100)
        bytes += Array("train-\u{0}\u{0}\u{0}ing]\nepochs = 9223372036s =8547".utf8)
        #expect(syntaxError(String(decoding: bytes, as: UTF8.self)) != nil)
    }
}
