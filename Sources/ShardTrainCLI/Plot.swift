import ArgumentParser
import Foundation
import ShardCheckpoint
import ShardConfig
import ShardTraining

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Overlay the learning curves of several runs in one SVG.",
        discussion: "Reads each run directory's metrics.csv; writes the SVG to --out, or to stdout.")

    @Argument(help: "Run directories (each with a metrics.csv).")
    var runDirectories: [String]

    @Option(help: "The SVG file to write (default: stdout).")
    var out: String?

    func validate() throws {
        guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        var runs: [(name: String, history: [EpochRecord])] = []
        for directory in runDirectories {
            let history = try RunDirectory.readMetrics("\(directory)/metrics.csv")
            let trimmed = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            runs.append(((trimmed as NSString).lastPathComponent, history))
        }
        let svg = CurvesPlot(runs: runs).svg()
        if let out {
            do {
                try svg.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw CommandFailure(code: FailureReport.output, message: "could not write \(out): \(AtomicFile.reason(error)); check the folder exists and the disk has space")
            }
        } else {
            print(svg, terminator: "")
        }
    }
}
