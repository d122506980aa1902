import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
@testable import ShardCheckpoint
@testable import ShardConfig
import ShardTraining
import Testing

/// Checkpoints, resume, signals and interop, through the real binary.
struct CheckpointCommandTests {
    /// 32 features, 3 classes, 4000 train rows: 500 steps an epoch at batch 8.
    func writeWideBlobs(trainRows: Int = 4000) throws -> String {
        let path = temporaryPath("wide.h5")
        var generator = RandomGenerator(seed: 21)
        let file = try HDF5File.create(path)
        for (split, rows) in [("train", trainRows), ("test", 300)] {
            var x: [Float] = [], y: [Int32] = []
            for row in 0..<rows {
                y.append(Int32(row % 3))
                x += (0..<32).map { Float(($0 == row % 3 ? 3 : 0) + generator.nextGaussian()) }
            }
            let group = try file.root.createGroup(split)
            try group.createDataset("x", shape: [rows, 32], values: x)
            try group.createDataset("y", shape: [rows], values: y)
        }
        return path
    }

    func experiment(_ data: String, epochs: Int, everySteps: Int) throws -> String {
        let path = temporaryPath("resume.toml")
        try """
            [data]
            path = "\(data)"
            [model]
            hidden = [64, 64]
            [optimizer]
            name = "nesterov"
            learning_rate = 0.01
            [schedule]
            name = "cosine"
            [training]
            epochs = \(epochs)
            batch_size = 8
            [checkpoint]
            every_steps = \(everySteps)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func weights(_ modelFile: String) throws -> [Float] {
        try ModelFile.read(from: modelFile).parameters.array
    }

    /// Starts `shardtrain` with these arguments and returns the running process and its
    /// stderr, read as it arrives.
    func launch(_ arguments: [String]) throws -> (Process, StandardErrorLines) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shardtrainBinary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.temporaryDirectory.path)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let lines = StandardErrorLines(errors)
        try process.run()
        return (process, lines)
    }

    /// The temporary checkpoint files in `store`'s folder that the process `pid` was writing
    /// (AtomicFile names them `.step-....h5.tmp-<pid>`).
    func temporaryCheckpoints(_ store: CheckpointStore, of pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.directory)) ?? [])
            .filter { $0.hasPrefix(".step-") && $0.hasSuffix(".tmp-\(pid)") }
    }

    @Test func killedAtRandomMomentsAndResumedGivesTheSameWeights() throws {
        let data = try writeWideBlobs()
        let setup = try experiment(data, epochs: 16, everySteps: 20)
        let straightDirectory = temporaryPath("straight")
        let straight = try shardtrain(["train", setup, "--run-dir", straightDirectory, "--quiet"])
        #expect(straight.status == 0, "\(straight.stderr)")

        let runDirectory = temporaryPath("killed")
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 20, everyEpochs: 1, keep: 3)
        var generator = RandomGenerator(seed: 2026)
        var kills: [String] = []
        var killsDuringAWrite = 0
        var resumedFrom: [Int] = []
        var finished = false
        var cycle = 0
        while !finished && cycle < 60 {
            let newest = store.files().last?.step
            let arguments = cycle == 0 || newest == nil
                ? ["train", setup, "--run-dir", runDirectory, "--force"]
                : ["train", "--resume", runDirectory]
            let (process, stderr) = try launch(arguments)
            // Ready: the opening line comes once the run is loaded and its first step is
            // next. On a resume it must say where it resumed: the newest checkpoint's step.
            if let opening = stderr.waitForLine(containing: "training "), let newest, cycle > 0 {
                let resumed = opening.components(separatedBy: "resuming at step ").dropFirst().first
                    .flatMap { Int($0.prefix { $0.isNumber }) }
                #expect(resumed == newest, "cycle \(cycle): \(opening)")
                if let resumed { resumedFrom.append(resumed) }
            }
            if process.isRunning && kills.count < 20 {
                if cycle % 2 == 1 {
                    // Every other kill waits for a checkpoint write to begin (its temporary
                    // file appears) and kills at once, inside the write.
                    let deadline = ContinuousClock.now + .seconds(60)
                    while process.isRunning, temporaryCheckpoints(store, of: process.processIdentifier).isEmpty,
                          ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.0002)
                    }
                    kill(process.processIdentifier, SIGKILL)
                    kills.append("in a write")
                } else {
                    // The others at a random moment of training: the randomness is the
                    // test's, measured from the readiness line, not a guess at readiness.
                    // The first checkpoint must exist first, so that every kill is followed
                    // by a real resume however slowly a busy machine runs.
                    let deadline = ContinuousClock.now + .seconds(60)
                    while process.isRunning, store.files().isEmpty, ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                    let delay = generator.nextIndex(below: 250_000)
                    usleep(UInt32(delay))
                    kill(process.processIdentifier, SIGKILL)
                    kills.append("\(delay / 1000) ms")
                }
            }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal {
                // The temporary file a killed writer leaves (removed by the next resume).
                if !temporaryCheckpoints(store, of: process.processIdentifier).isEmpty { killsDuringAWrite += 1 }
            } else {
                #expect(process.terminationStatus == 0, "\(stderr.waitForEnd())")
                finished = process.terminationStatus == 0 && kills.count >= 20
            }
            // Whatever the moment, every checkpoint under its final name reads back intact.
            for file in store.files() {
                #expect(throws: Never.self, "cycle \(cycle): \(file.path) unreadable") {
                    _ = try Checkpoint.read(from: file.path)
                }
            }
            cycle += 1
        }
        // The kills really tested something: resumes continued from checkpoints of the run
        // (not from step 0), and some kills cut a checkpoint write short.
        #expect(resumedFrom.count >= 15 && resumedFrom.allSatisfy { $0 > 0 }, "resumed from steps \(resumedFrom)")
        #expect(killsDuringAWrite >= 3, "\(killsDuringAWrite) of the kills landed during a checkpoint write")
        #expect(kills.count >= 20, "killed \(kills.count) times: \(kills)")
        #expect(finished)
        #expect(try weights("\(runDirectory)/model.h5") == weights("\(straightDirectory)/model.h5"),
                "after kills at \(kills)")
        // metrics.csv row for row: no row lost, none written twice, whatever the kills.
        let metrics = try String(contentsOfFile: "\(runDirectory)/metrics.csv", encoding: .utf8)
        #expect(metrics == (try String(contentsOfFile: "\(straightDirectory)/metrics.csv", encoding: .utf8)))
        #expect(metrics.split(separator: "\n").count == 1 + 16)
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalsSaveACheckpointAndExitWithTheirCode(signal: Int32, code: Int32) throws {
        let data = try writeWideBlobs()
        let setup = try experiment(data, epochs: 40, everySteps: 0)
        let runDirectory = temporaryPath("signalled")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shardtrainBinary)
        process.arguments = ["train", setup, "--run-dir", runDirectory]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let lines = StandardErrorLines(errors)
        try process.run()
        // Ready: the first epoch is done (its line printed), so a checkpoint exists to resume.
        #expect(lines.waitForLine(containing: "epoch 1/40") != nil, "\(lines.text)")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let message = lines.waitForEnd()
        #expect(process.terminationStatus == code, "\(message)")
        #expect(message.contains("checkpoint saved") && message.contains("--resume \(runDirectory)"))
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 0, everyEpochs: 1, keep: 3)
        let newest = try #require(store.files().last)
        let checkpoint = try Checkpoint.read(from: newest.path)
        #expect(checkpoint.state.step > 0 && checkpoint.state.epoch <= 40)
        // Then it resumes and finishes (shortened: the epochs may be raised or lowered).
        let epochsDone = checkpoint.state.history.count
        let resumed = try shardtrain(["train", "--resume", runDirectory, "--quiet", "--json",
                                      "--set", "training.epochs=\(epochsDone + 1)"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("\"epochs\":\(epochsDone + 1)"))
    }

    @Test func secondSIGINTExitsAtOnceLeavingCheckpointsIntact() throws {
        let data = try writeWideBlobs()
        let setup = try experiment(data, epochs: 40, everySteps: 10)
        let runDirectory = temporaryPath("twice")
        let (process, lines) = try launch(["train", setup, "--run-dir", runDirectory])
        // Ready: the first epoch is done, so checkpoints have been written.
        #expect(lines.waitForLine(containing: "epoch 1/40") != nil, "\(lines.text)")
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 10, everyEpochs: 1, keep: 3)
        #expect(!store.files().isEmpty)
        for file in store.files() { _ = try Checkpoint.read(from: file.path) }
    }

    @Test(arguments: ["truncate", "flip"])
    func damagedNewestCheckpointIsSkippedWithAWarning(damage: String) throws {
        let data = try writeWideBlobs(trainRows: 400)
        let setup = try experiment(data, epochs: 2, everySteps: 10)
        let runDirectory = temporaryPath("damaged")
        let first = try shardtrain(["train", setup, "--run-dir", runDirectory, "--quiet", "--set", "training.epochs=1"])
        #expect(first.status == 0, "\(first.stderr)")
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 10, everyEpochs: 1, keep: 3)
        let newest = try #require(store.files().last)
        let previous = store.files().dropLast().last!
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest.path))
        if damage == "truncate" {
            bytes = bytes.prefix(bytes.count / 2)
        } else {
            // A byte inside the weights: HDF5 still opens the file; the checksum catches it.
            let weights = try HDF5File.open(newest.path).root.group("model/dense0").dataset("weight")
                .read(as: Float.self)
            let pattern = withUnsafeBytes(of: weights[100]) { Data($0) } + withUnsafeBytes(of: weights[101]) { Data($0) }
            let offset = try #require(bytes.range(of: pattern)).lowerBound
            bytes[offset] ^= 0x40
        }
        try bytes.write(to: URL(fileURLWithPath: newest.path))
        let resumed = try shardtrain(["train", "--resume", runDirectory, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("warning: skipping \(newest.path)"))
        #expect(!resumed.stderr.contains("skipping \(previous.path)"))
    }

    @Test func resumeRefusesWhatCannotChangeAndRunDirectoriesAreNotOverwritten() throws {
        let data = try writeWideBlobs(trainRows: 400)
        let setup = try experiment(data, epochs: 1, everySteps: 0)
        let runDirectory = temporaryPath("fixed")
        #expect(try shardtrain(["train", setup, "--run-dir", runDirectory, "--quiet"]).status == 0)
        let again = try shardtrain(["train", setup, "--run-dir", runDirectory, "--quiet"])
        #expect(again.status == 64 && again.stderr.contains("--resume \(runDirectory)"))
        let changed = try shardtrain(["train", "--resume", runDirectory, "--set", "model.hidden=[8]"])
        #expect(changed.status == 64 && changed.stderr.contains("model.hidden cannot change on --resume"))
        let missing = try shardtrain(["train", "--resume", temporaryPath("nothing-here")])
        #expect(missing.status == 64 && missing.stderr.contains("no checkpoints"))
        #expect(try shardtrain(["train", setup, "--run-dir", runDirectory, "--quiet", "--force"]).status == 0)
    }

    @Test func warmStartTakesTheWeightsOnly() throws {
        let data = try writeWideBlobs(trainRows: 400)
        let setup = try experiment(data, epochs: 2, everySteps: 0)
        let firstDirectory = temporaryPath("first")
        #expect(try shardtrain(["train", setup, "--run-dir", firstDirectory, "--quiet"]).status == 0)
        let warm = try shardtrain(["train", setup, "--run-dir", temporaryPath("warm"), "--json", "--quiet",
                                   "--init-from", "\(firstDirectory)/model.h5", "--set", "training.epochs=1"])
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stdout.contains("\"steps\":50"))  // a new run: its own step count
        let wrong = try shardtrain(["train", setup, "--run-dir", temporaryPath("wrong"), "--quiet",
                                    "--init-from", "\(firstDirectory)/model.h5", "--set", "model.hidden=[8]"])
        #expect(wrong.status == 65 && wrong.stderr.contains("differ"))
    }

    @Test func pythonWithH5pyReproducesEvalOnACheckpoint() throws {
        let data = try writeWideBlobs(trainRows: 400)
        let setup = try experiment(data, epochs: 2, everySteps: 0)
        let runDirectory = temporaryPath("interop")
        #expect(try shardtrain(["train", setup, "--run-dir", runDirectory, "--quiet"]).status == 0)
        let checkpoint = try #require(CheckpointStore(runDirectory: runDirectory, everySteps: 0, everyEpochs: 1, keep: 3)
            .files().last).path
        let eval = try shardtrain(["eval", checkpoint, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let ours = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(repositoryRoot)/scripts/checkpoint_eval.py", checkpoint]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let theirs = try JSONSerialization.jsonObject(with: output) as! [String: Any]
        #expect(theirs["accuracy"] as? Double == ours["accuracy"] as? Double)
        // numpy computes in its own order and float64 for the loss: equal to ~1e-6.
        #expect(abs((theirs["loss"] as! Double) - (ours["loss"] as! Double)) < 1e-5)
    }
}
