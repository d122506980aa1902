// libFuzzer harness: the experiment parser with `--set` overrides. The input's first line is
// taken as a list of overrides separated by '\u{1}' bytes, the rest as the TOML file. Any
// thrown ExperimentError is fine; a trap, an abort or an ASan report is a finding.
import Foundation
import ShardConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExperiment(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let newline = text.firstIndex(of: "\n") ?? text.startIndex
    let overrides = text[..<newline].split(separator: "\u{1}").map(String.init)
    let body = newline < text.endIndex ? String(text[text.index(after: newline)...]) : ""
    _ = try? ExperimentLoader.load(text: body, name: "fuzz", source: "fuzz.toml", overrides: overrides)
    return 0
}
