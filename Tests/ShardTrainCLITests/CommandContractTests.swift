import Foundation
import ShardTestSupport
import Testing

/// What the command promises at its edges: usage mistakes are one line with exit 64, a failed
/// write is exit 74, and the benchmark takes any worker count.
struct CommandContractTests {
    func expectOneLine(_ run: RunResult, status: Int32, mentions: [String] = []) {
        #expect(run.status == status, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("shardtrain: error: "), "stderr: \(run.stderr)")
        for text in mentions { #expect(run.stderr.contains(text), "\(run.stderr) should mention \(text)") }
        #expect(!run.stderr.contains("USAGE") && !run.stderr.contains("Help:"))
    }

    @Test(arguments: [
        (["train"], "give an EXPERIMENT file"),
        (["train", "a.toml", "--resume", "runs/x"], "not both"),
        (["train", "a.toml", "--workers", "many"], "--workers"),
        (["train", "a.toml", "--no-such-flag"], "--no-such-flag"),
        (["eval"], "model-file"),
        (["bench", "--steps", "0"], "--steps"),
        (["bench", "--batch-sizes", "8,x"], "--batch-sizes"),
        (["no-such-command"], "no-such-command"),
    ])
    func argumentMistakesAreOneLineWithExit64(arguments: [String], mention: String) throws {
        expectOneLine(try shardtrain(arguments), status: 64, mentions: [mention])
    }

    @Test func helpAndVersionStillExitZero() throws {
        let help = try shardtrain(["help", "train"])
        #expect(help.status == 0 && help.stdout.contains("--resume"))
        let version = try shardtrain(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    @Test func modelThatCannotBeWrittenIsExit74WithTheCheckpointsIntact() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        // A path below a regular file: no process, root included, can create it.
        let blocker = temporaryPath("not-a-folder")
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let runDirectory = temporaryPath("run74")
        let run = try shardtrain(["train", experiment, "--run-dir", runDirectory, "--quiet",
                                  "--output", "\(blocker)/model.h5"])
        expectOneLine(run, status: 74, mentions: ["\(blocker)/model.h5"])
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: "\(runDirectory)/checkpoints")
        #expect(checkpoints.contains { $0.hasPrefix("step-") })
        let summary = try String(contentsOfFile: "\(runDirectory)/summary.json", encoding: .utf8)
        #expect(summary.contains("\"exit_code\" : 74"))
    }

    @Test func benchTakesMoreWorkersThanRowsAndBatchesOfAnySize() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let run = try shardtrain(["bench", experiment, "--batch-sizes", "8", "--workers", "16",
                                  "--steps", "3", "--warmup", "1", "--passes", "1"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // Sixteen workers on batches of 8 rows run as 8, one per row.
        let row = run.stdout.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("8 ") }
        #expect(row.map { $0.split(separator: " ").dropFirst().first == "8" } == true, "stdout: \(run.stdout)")
    }
}
