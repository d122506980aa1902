#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
@testable import ShardCheckpoint
@testable import ShardConfig
import ShardTraining
import Testing

/// Run directories as scripts see them: files, summary, curves, the lock, the sweep script.
struct RunDirectoryTests {
    func tinyExperiment(_ extra: String = "") throws -> String {
        try writeExperiment(data: try writeBlobs(trainRows: 120), extra: extra)
    }

    @Test func aRunLeavesItsFilesAndSummary() throws {
        let runDirectory = temporaryPath("files")
        let run = try shardtrain(["train", try tinyExperiment(), "--run-dir", runDirectory, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["experiment.toml", "metrics.csv", "summary.json", "curves.svg", "model.h5", "checkpoints"] {
            #expect(FileManager.default.fileExists(atPath: "\(runDirectory)/\(name)"), "missing \(name)")
        }
        let csv = try String(contentsOfFile: "\(runDirectory)/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate")
        #expect(csv.count == 4 && csv[3].hasPrefix("3,24,"))
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/summary.json"))) as! [String: Any]
        #expect(summary["status"] as? String == "completed" && summary["exit_code"] as? Int == 0)
        #expect((summary["final"] as? [String: Any])?["epoch"] as? Int == 3)
        // Without validation data nothing is called best: the test split never chooses.
        #expect(summary["best"] == nil && summary["best_epoch"] == nil)
        #expect(summary["stopped_early"] as? Bool == false)
        for key in ["wall_seconds", "samples_per_second", "workers", "seed", "shardtrain_version"] {
            #expect(summary[key] != nil, "summary.json lacks \(key)")
        }
        // The resolved experiment reproduces the run.
        let again = try shardtrain(["train", "\(runDirectory)/experiment.toml", "--run-dir", temporaryPath("again"), "--json", "--quiet"])
        let first = try ModelFile.read(from: "\(runDirectory)/model.h5").parameters.array
        let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        #expect(try ModelFile.read(from: json["model_file"] as! String).parameters.array == first)
    }

    @Test func curvesAreValidSVGWithTheirLines() throws {
        let runDirectory = temporaryPath("curves")
        #expect(try shardtrain(["train", try tinyExperiment(), "--run-dir", runDirectory, "--quiet"]).status == 0)
        let other = temporaryPath("curves-other")
        #expect(try shardtrain(["train", try tinyExperiment(), "--run-dir", other, "--quiet",
                                "--set", "optimizer.learning_rate=0.01"]).status == 0)
        for svg in ["\(runDirectory)/curves.svg", temporaryPath("overlay.svg")] {
            if !svg.hasPrefix(runDirectory) {
                let plot = try shardtrain(["plot", runDirectory, other, "--out", svg])
                #expect(plot.status == 0, "\(plot.stderr)")
            }
            let counter = SVGCounter()
            let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: svg)))
            parser.delegate = counter
            #expect(parser.parse(), "\(svg) is not well-formed XML: \(String(describing: parser.parserError))")
            #expect(counter.root == "svg")
            let runs = svg.hasPrefix(runDirectory) ? 1 : 2
            // Per run: train loss, test loss, test accuracy.
            #expect(counter.polylines == 3 * runs, "\(counter.polylines) polylines in \(svg)")
        }
        #expect(try shardtrain(["plot", temporaryPath("not-a-run")]).status == 65)
    }

    @Test func aSecondWriterIsRefused() throws {
        let data = try writeBlobs(trainRows: 3000)
        let experiment = try writeExperiment(data: data, extra: "")
        let runDirectory = temporaryPath("busy")
        let first = Process()
        first.executableURL = URL(fileURLWithPath: shardtrainBinary)
        first.arguments = ["train", experiment, "--run-dir", runDirectory, "--quiet", "--set", "training.epochs=400",
                           "--set", "training.batch_size=4"]
        first.standardError = FileHandle.nullDevice
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() }
        // Wait until it holds the directory.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: "\(runDirectory)/experiment.toml") {
            usleep(50_000)
        }
        let second = try shardtrain(["train", experiment, "--run-dir", runDirectory, "--force", "--quiet"])
        #expect(second.status == 64)
        #expect(second.stderr.contains("in use by another shardtrain process"))
        let resume = try shardtrain(["train", "--resume", runDirectory, "--quiet"])
        #expect(resume.status == 64 && resume.stderr.contains("in use"))
    }

    @Test func aDivergedRunExitsOneAndKeepsTheLastGoodCheckpoint() throws {
        let runDirectory = temporaryPath("nan")
        let run = try shardtrain(["train", try tinyExperiment("[checkpoint]\nevery_steps = 1"), "--run-dir", runDirectory,
                                  "--quiet", "--set", "model.loss=\"mse\"", "--set", "optimizer.learning_rate=1e6"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("training diverged") && run.stderr.contains("at step"))
        #expect(run.stderr.contains("lower optimizer.learning_rate"))
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/summary.json"))) as! [String: Any]
        #expect(summary["status"] as? String == "diverged" && summary["exit_code"] as? Int == 1)
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 1, everyEpochs: 1, keep: 3)
        for file in store.files() {
            let checkpoint = try Checkpoint.read(from: file.path)
            #expect(checkpoint.model.parameters.isFinite, "\(file.path) holds non-finite weights")
        }
    }

    @Test func theSweepScriptTabulatesRunsAndMarksFailures() throws {
        let experiment = try tinyExperiment()
        let out = temporaryPath("sweep")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(repositoryRoot)/scripts/sweep.py", experiment,
                             "optimizer.learning_rate=0.1,0.01", "training.batch_size=16,0", "--out", out,
                             "--", "--set", "training.epochs=1"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SHARDTRAIN": shardtrainBinary]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)  // some runs failed
        let csv = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 4)
        let failed = csv.dropFirst().filter { $0.contains(",failed,64,") }
        let completed = csv.dropFirst().filter { $0.contains(",completed,0,") }
        #expect(failed.count == 2 && completed.count == 2, "\(csv)")
        #expect(failed.allSatisfy { $0.contains("training.batch_size") })
        let markdown = try String(contentsOfFile: "\(out)/summary.md", encoding: .utf8)
        #expect(markdown.contains("| failed | 64 |") && markdown.contains("| completed | 0 |"))
    }
}

final class SVGCounter: NSObject, XMLParserDelegate {
    var root: String?
    var polylines = 0

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = elementName }
        if elementName == "polyline", (attributes["points"]?.split(separator: " ").count ?? 0) >= 1 { polylines += 1 }
    }
}
