import Foundation
import ShardConfig
import ShardTestSupport
import Testing
@testable import ShardTrainCLI

/// Docs that cannot drift: README's tables are the code's, and docs/architecture.md is
/// Package.swift's graph.
struct DocumentationTests {
    func text(_ path: String) throws -> String {
        try String(contentsOfFile: "\(repositoryRoot)/\(path)", encoding: .utf8)
    }

    @Test func readmeExitCodeTableIsTheCodes() throws {
        let readme = try text("README.md")
        #expect(readme.contains(ExitStatus.markdownTable),
                "README.md's exit-code table differs from ExitStatus; it should read:\n\(ExitStatus.markdownTable)")
        // And every code the command can exit with is in the help text.
        for status in ExitStatus.allCases { #expect(ExitStatus.helpText.contains("\(status.code) ")) }
    }

    @Test func experimentKeyTableIsTheSchema() throws {
        let readme = try text("experiments/README.md")
        #expect(readme.contains(ExperimentSchema.markdownTable),
                "experiments/README.md's key table differs from ExperimentSchema; it should read:\n\(ExperimentSchema.markdownTable)")
    }

    @Test func architectureDocMatchesPackageSwift() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(repositoryRoot)/scripts/check-architecture.py"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "scripts/check-architecture.py: \(text)")
    }
}
