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

/// Writes that fail for want of room: the run stops with exit 74 and one line naming the
/// file and the OS's reason, and every checkpoint written before is intact and resumable.
struct WriteFailureTests {
    func trainingArguments(_ runDirectory: String, hidden: Int) throws -> [String] {
        ["train", try writeExperiment(data: try writeBlobs(trainRows: 120)), "--run-dir", runDirectory, "--quiet",
         "--set", "model.hidden=[\(hidden)]", "--set", "training.epochs=40"]
    }

    func expectExit74WithIntactCheckpoints(_ run: RunResult, runDirectory: String, reason: String) throws {
        #expect(run.status == 74, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("shardtrain: error: could not write "), "stderr: \(run.stderr)")
        #expect(run.stderr.contains(reason), "stderr: \(run.stderr)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: "\(runDirectory)/checkpoints")
            .filter { $0.hasPrefix("step-") }
        #expect(!checkpoints.isEmpty)
        for name in checkpoints {
            let inspect = try shardtrain(["inspect", "\(runDirectory)/checkpoints/\(name)"])
            #expect(inspect.stdout.contains("checksum ok"), "\(name): \(inspect.stdout)")
        }
    }

    @Test func aFileSizeLimitIsExit74NotSIGXFSZ() throws {
        let runDirectory = temporaryPath("fsize")
        let arguments = try trainingArguments(runDirectory, hidden: 3500).map { "'\($0)'" }.joined(separator: " ")
        // 60 blocks of 1 KiB: smaller than one checkpoint of this network (about 120 KB).
        let run = try runProcess("/bin/sh", ["-c", "ulimit -f 60; exec '\(shardtrainBinary)' \(arguments)"])
        #expect(run.status == 74, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("File too large"), "stderr: \(run.stderr)")
        // No partial checkpoint under a checkpoint's name.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(runDirectory)/checkpoints")) ?? []
        #expect(names.allSatisfy { !$0.hasPrefix("step-") && !$0.hasPrefix(".step-") }, "\(names)")
    }

    @Test func aFullDiskIsExit74WithTheCheckpointsIntact() throws {
        let mountPoint = temporaryPath("full-disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        // Room for three checkpoints of this network (about 120 KB each), not four.
        let mount = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=420k", "tmpfs", mountPoint])
        guard mount.status == 0 else {
            // Needs root and a kernel that allows tmpfs mounts (CI runs as root).
            print("skipped: cannot mount a small tmpfs here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }
        let runDirectory = "\(mountPoint)/run"
        let run = try shardtrain(try trainingArguments(runDirectory, hidden: 3500))
        try expectExit74WithIntactCheckpoints(run, runDirectory: runDirectory, reason: "No space left on device")
    }
}

/// Files HDF5 1.10.8 never finishes reading (hdf5-stall.h5) or overruns a buffer on
/// (hdf5-overrun.h5), both from corrupt global heaps under string attributes, found by fuzzing
/// the model reader: the command ends with exit 65 and one line, not a hang or a crash.
struct HDF5StallTests {
    @Test(arguments: ["hdf5-stall.h5", "hdf5-overrun.h5"], [["eval"], ["inspect"], ["export", "--onnx", "out.onnx"]])
    func aFileHDF5LoopsOrCrashesOnIsADataError(file: String, command: [String]) throws {
        let clock = ContinuousClock()
        let start = clock.now
        var arguments = [command[0], "\(fixtures)/\(file)"]
        arguments += command.dropFirst()
        let run = try shardtrain(arguments, environment: ["SHARDTRAIN_HDF5_STALL_SECONDS": "2"])
        if file == "hdf5-overrun.h5", ProcessInfo.processInfo.environment["SHARDTRAIN_SANITIZER"] == "address" {
            // Under AddressSanitizer (scripts/sanitize.sh) the overrun is caught as it happens,
            // before any signal: the report must place it inside libhdf5.
            #expect(run.stderr.contains("AddressSanitizer") && run.stderr.contains("in H5HG_read"), "stderr: \(run.stderr)")
            return
        }
        #expect(run.status == 65, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains(file) && run.stderr.contains("damaged"),
                "stderr: \(run.stderr)")
        #expect(clock.now - start < .seconds(60))
    }

    /// hdf5-divide-by-zero.h5 (found by fuzzing the dataset loader): HDF5 1.10.8 divides by
    /// zero in H5D__chunk_set_info opening /train/y, whose chunk layout is damaged. Opening is
    /// watched like every metadata read: one line and exit 65, never SIGFPE (exit 136).
    @Test(arguments: [["train"], ["inspect"]])
    func aDatasetHDF5DividesByZeroOpeningIsADataError(command: [String]) throws {
        let folder = temporaryPath("divide-by-zero")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = "\(fixtures)/hdf5-divide-by-zero.h5"
        try "[data]\npath = \"\(data)\"\n[training]\nepochs = 1\n".write(toFile: "\(folder)/case.toml", atomically: true, encoding: .utf8)
        let arguments = command == ["train"] ? ["train", "case.toml", "--run-dir", "run"] : ["inspect", data]
        let run = try shardtrain(arguments, in: folder, environment: ["SHARDTRAIN_HDF5_STALL_SECONDS": "2"])
        #expect(run.status == 65, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("hdf5-divide-by-zero.h5"), "stderr: \(run.stderr)")
    }
}
