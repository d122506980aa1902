import Foundation
import ShardCore
import ShardTestSupport
@testable import ShardCheckpoint
import Testing

/// Open MPI's launcher, or nil. CI installs it (scripts/install-deps.sh), so these tests run
/// there; elsewhere without it they fail, saying so, unless SHARDTRAIN_SKIP_MPI=1 skips them.
let mpirunPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
    .split(separator: ":").map { "\($0)/mpirun" }
    .first { FileManager.default.isExecutableFile(atPath: $0) }
let mpiSkipped = mpirunPath == nil && ProcessInfo.processInfo.environment["SHARDTRAIN_SKIP_MPI"] == "1"

/// `shardtrain train` on MPI ranks, through the real binary under mpirun: the weights of one
/// process with one worker for any ranks x workers, resumes across rank counts, signals, dead
/// and hung ranks, and a Slurm launch MPI does not connect.
@Suite(.enabled(if: !mpiSkipped, "mpirun is missing and SHARDTRAIN_SKIP_MPI=1"))
struct MPIRankTests {
    /// `mpirun -np ranks shardtrain arguments...`, as root and on more ranks than cores.
    func mpiArguments(_ ranks: Int, _ arguments: [String], transport: [String] = []) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks)] + transport + [shardtrainBinary] + arguments
    }

    func mpirun(_ ranks: Int, _ arguments: [String], in folder: String, transport: [String] = []) throws -> RunResult {
        let path = try #require(mpirunPath, "mpirun is missing: run scripts/install-deps.sh (openmpi-bin), or set SHARDTRAIN_SKIP_MPI=1 to skip the MPI tests")
        return try runProcess(path, mpiArguments(ranks, arguments, transport: transport), in: folder)
    }

    func experiment(data: String, batchSize: Int, epochs: Int = 3, extra: String = "") throws -> String {
        let path = temporaryPath("ranks.toml")
        try """
            [data]
            path = "\(data)"
            [model]
            hidden = [32, 16]
            [optimizer]
            name = "adam"
            learning_rate = 0.01
            [training]
            epochs = \(epochs)
            batch_size = \(batchSize)
            shard_rows = 16
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The trained parameters' bit patterns, so equality is bitwise (NaN == NaN, -0 != +0).
    func weightBits(_ modelFile: String) throws -> [UInt32] {
        try ModelFile.read(from: modelFile).parameters.array.map(\.bitPattern)
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The integer value of `"key":N` in a JSON line.
    static func integer(_ key: String, in json: String) -> Int? {
        guard let range = json.range(of: "\"\(key)\":") else { return nil }
        return Int(json[range.upperBound...].prefix { $0.isNumber })
    }

    @Test(arguments: [128, 100])
    func ranksTimesWorkersTrainTheSingleWorkerWeights(batchSize: Int) throws {
        // 1000 rows: the last batch of each epoch is short (1000 = 7 x 128 + 104 = 10 x 100),
        // and 100 rows make 7 micro-shards of 16, which 2 and 3 ranks divide unevenly.
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        let file = try experiment(data: data, batchSize: batchSize)
        let folder = temporaryPath("ranks")
        let single = try shardtrain(["train", file, "--run-dir", "single", "--workers", "1", "--quiet"], in: folder)
        try #require(single.status == 0, "\(single.stderr)")
        let reference = try weightBits("\(folder)/single/model.h5")
        let referenceMetrics = try text("\(folder)/single/metrics.csv")
        for ranks in [1, 2, 3] {
            for workers in [1, 2] {
                let name = "r\(ranks)w\(workers)"
                let run = try mpirun(ranks, ["train", file, "--run-dir", name, "--workers", String(workers), "--json"],
                                     in: folder)
                try #require(run.status == 0, "\(name): \(run.stderr)")
                #expect(try weightBits("\(folder)/\(name)/model.h5") == reference, "\(ranks) ranks x \(workers) workers")
                #expect(try text("\(folder)/\(name)/metrics.csv") == referenceMetrics, "\(name)")
                // One process wrote the run: one result line, one summary.
                #expect(run.stdout.split(separator: "\n").count == 1, "\(name): \(run.stdout)")
                #expect(run.stdout.contains("\"ranks\":\(ranks)"))
                if ranks > 1 {
                    #expect(run.stdout.contains("mpi_bytes_per_step"))
                    // Rank 0 read the rows of its own micro-shards (the first M / N of each
                    // batch's M micro-shards of 16 rows) in each of the 3 epochs, no others.
                    let read = try #require(Self.integer("stream_rows_read", in: run.stdout))
                    let own = stride(from: 0, to: 1000, by: batchSize).map { start in
                        let rows = min(batchSize, 1000 - start)
                        return min(((rows + 15) / 16) / ranks * 16, rows)
                    }.reduce(0, +)
                    #expect(read == 3 * own, "\(name): rank 0 read \(read) rows")
                }
            }
        }
        // Over TCP (what ranks on several machines use) as over shared memory.
        let tcp = try mpirun(2, ["train", file, "--run-dir", "tcp", "--workers", "1", "--quiet"], in: folder,
                             transport: ["--mca", "btl", "self,tcp"])
        try #require(tcp.status == 0, "tcp: \(tcp.stderr)")
        #expect(try weightBits("\(folder)/tcp/model.h5") == reference, "2 ranks over TCP")
    }

    @Test func aTwoRankRunResumesOnThreeRanksAndInOneProcess() throws {
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        let file = try experiment(data: data, batchSize: 128, extra: "[checkpoint]\nevery_steps = 5\nkeep = 100")
        let folder = temporaryPath("resume-ranks")
        let straight = try mpirun(2, ["train", file, "--run-dir", "straight", "--workers", "1", "--quiet"], in: folder)
        try #require(straight.status == 0, "\(straight.stderr)")
        let expected = try weightBits("\(folder)/straight/model.h5")
        let expectedMetrics = try text("\(folder)/straight/metrics.csv")
        // The 2-rank run's step-10 checkpoint (mid-epoch 2, its optimizer slots gathered from
        // both ranks) as the newest: what a run stopped there would have left.
        for (name, launch) in [("three-ranks", 3), ("one-process", 0)] {
            let run = "\(folder)/\(name)"
            try FileManager.default.copyItem(atPath: "\(folder)/straight", toPath: run)
            for leftover in ["model.h5", "summary.json", ".lock"] { try? FileManager.default.removeItem(atPath: "\(run)/\(leftover)") }
            let checkpoints = "\(run)/checkpoints"
            for entry in try FileManager.default.contentsOfDirectory(atPath: checkpoints) where entry > "step-000000010.h5" {
                try FileManager.default.removeItem(atPath: "\(checkpoints)/\(entry)")
            }
            let arguments = ["train", "--resume", name, "--workers", "2", "--quiet"]
            let resumed = launch == 0 ? try shardtrain(arguments, in: folder) : try mpirun(launch, arguments, in: folder)
            try #require(resumed.status == 0, "\(name): \(resumed.stderr)")
            #expect(try weightBits("\(run)/model.h5") == expected, "\(name)")
            #expect(try text("\(run)/metrics.csv") == expectedMetrics, "\(name)")
        }
        // And the 2-rank run trained the single process's weights.
        let single = try shardtrain(["train", file, "--run-dir", "single", "--workers", "1", "--quiet"], in: folder)
        try #require(single.status == 0, "\(single.stderr)")
        #expect(try weightBits("\(folder)/single/model.h5") == expected)
    }

    /// Starts `mpirun -np ranks shardtrain arguments...` and returns it with its stderr as it
    /// arrives, once rank 0 has printed its opening line (every rank is then set up).
    func launch(_ ranks: Int, _ arguments: [String], in folder: String) throws -> (Process, StandardErrorLines) {
        let path = try #require(mpirunPath, "mpirun is missing: run scripts/install-deps.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = mpiArguments(ranks, arguments)
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let lines = StandardErrorLines(errors)
        try process.run()
        try #require(lines.waitForLine(containing: "epoch 1/") != nil, "\(lines.text)")
        return (process, lines)
    }

    /// The process ids of mpirun's ranks, by rank (from OMPI_COMM_WORLD_RANK in each child's
    /// environment).
    func rankProcesses(of launcher: Process, count: Int) throws -> [Int: Int32] {
        var ranks: [Int: Int32] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        while ranks.count < count && ContinuousClock.now < deadline {
            let children = (try? String(contentsOfFile: "/proc/\(launcher.processIdentifier)/task/\(launcher.processIdentifier)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                guard let environment = FileManager.default.contents(atPath: "/proc/\(child)/environ") else { continue }
                for entry in environment.split(separator: 0) {
                    let text = String(decoding: entry, as: UTF8.self)
                    if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                        ranks[rank] = child
                    }
                }
            }
            if ranks.count < count { Thread.sleep(forTimeInterval: 0.05) }
        }
        try #require(ranks.count == count, "found ranks \(ranks)")
        return ranks
    }

    /// True while `pid` exists and is not a zombie (an exited rank whose new parent, after
    /// mpirun ended, has not reaped it yet).
    func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    func waitForExit(_ process: Process, within limit: Duration) -> Duration? {
        let start = ContinuousClock.now
        while process.isRunning {
            if ContinuousClock.now - start > limit { return nil }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return ContinuousClock.now - start
    }

    @Test(arguments: [1, 3])
    func sigtermToOneRankStopsEveryRankAfterTheSameStepWithOneCheckpoint(ranks rankCount: Int) throws {
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        let file = try experiment(data: data, batchSize: 128, epochs: 100_000)
        let folder = temporaryPath("sigterm-ranks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (launcher, lines) = try launch(rankCount, ["train", file, "--run-dir", "run", "--workers", "1"], in: folder)
        let ranks = try rankProcesses(of: launcher, count: rankCount)
        kill(ranks[rankCount - 1]!, SIGTERM)  // with several, not rank 0, which writes the checkpoint
        let waited = waitForExit(launcher, within: .seconds(60))
        if waited == nil { launcher.terminate() }
        try #require(waited != nil, "mpirun did not end within 60 s: \(lines.text)")
        let stderr = lines.waitForEnd()
        #expect(launcher.terminationStatus == 143, "\(stderr)")
        // Rank 0 reports the stop once; no rank reports an error.
        let stops = stderr.split(separator: "\n").filter { $0.contains("stopped by SIGTERM; checkpoint saved to ") }
        #expect(stops.count == 1, "\(stderr)")
        #expect(!stderr.contains("shardtrain: error"), "\(stderr)")
        let saved = try #require(stops.first.flatMap { $0.split(separator: " ").first { $0.hasSuffix(".h5;") } })
        let path = "\(folder)/\(saved.dropLast())"
        let checkpoint = try Checkpoint.read(from: path)
        #expect(path.hasSuffix(String(format: "step-%09d.h5", checkpoint.state.step)))
        let entries = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/run/checkpoints")
        #expect(entries.filter { $0.contains(".tmp-") }.isEmpty, "\(entries)")
        // It continues in one process like any checkpoint.
        let resumed = try shardtrain(["train", "--resume", "run", "--set", "training.epochs=\(checkpoint.state.epoch)", "--quiet"], in: folder)
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    @Test func aKilledRankEndsTheOthersWithinAMinute() throws {
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        let file = try experiment(data: data, batchSize: 128, epochs: 100_000, extra: "[checkpoint]\nevery_steps = 20")
        let folder = temporaryPath("sigkill-ranks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (launcher, lines) = try launch(3, ["train", file, "--run-dir", "run", "--workers", "1"], in: folder)
        let ranks = try rankProcesses(of: launcher, count: 3)
        // Killed once the run has a checkpoint, so there is one to find intact afterwards.
        let store = CheckpointStore(runDirectory: "\(folder)/run", everySteps: 0, everyEpochs: 1, keep: 1)
        let started = ContinuousClock.now + .seconds(60)
        while store.files().isEmpty && launcher.isRunning && ContinuousClock.now < started {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        kill(ranks[2]!, SIGKILL)
        let waited = waitForExit(launcher, within: .seconds(60))
        if waited == nil { launcher.terminate() }
        #expect(waited != nil, "mpirun was still running 60 s after a rank was killed: \(lines.text)")
        #expect(launcher.terminationStatus != 0)
        // mpirun may return while the ranks it stopped are still on their way out.
        for rank in [0, 1] {
            while isRunning(ranks[rank]!) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(!isRunning(ranks[rank]!), "rank \(rank) was still running 60 s after rank 2 was killed")
        }
        // The newest checkpoint is whole.
        #expect(throws: Never.self) { _ = try store.newestValid(warn: { _ in }) }
    }

    @Test func aHungRankEndsTheOthersAfterTheRankTimeout() throws {
        let data = try writeBlobs(trainRows: 1000, testRows: 30)
        let file = try experiment(data: data, batchSize: 128, epochs: 100_000)
        let folder = temporaryPath("hung-ranks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (launcher, lines) = try launch(2, ["train", file, "--run-dir", "run", "--workers", "1", "--rank-timeout", "3"],
                                           in: folder)
        let ranks = try rankProcesses(of: launcher, count: 2)
        kill(ranks[1]!, SIGSTOP)  // alive, never answering
        defer { kill(ranks[1]!, SIGKILL) }
        let waited = waitForExit(launcher, within: .seconds(60))
        if waited == nil { launcher.terminate() }
        #expect(waited != nil, "rank 0 still waited 60 s after rank 1 stopped: \(lines.text)")
        let stderr = lines.waitForEnd()
        #expect(launcher.terminationStatus == 69, "\(stderr)")
        #expect(stderr.contains("shardtrain: error: rank 0 of 2: no answer from the other ranks for 3.0 s"), "\(stderr)")
    }

    @Test func aSetUpErrorOnOneOrEveryRankIsReportedOnceAndEndsThemAll() throws {
        let data = try writeBlobs(trainRows: 300, testRows: 30)
        let file = try experiment(data: data, batchSize: 32)
        let folder = temporaryPath("setup-ranks")
        let first = try mpirun(2, ["train", file, "--run-dir", "run", "--quiet"], in: folder)
        try #require(first.status == 0, "\(first.stderr)")
        // Only rank 0 takes the run directory, so only it finds the earlier run.
        let again = try mpirun(3, ["train", file, "--run-dir", "run", "--quiet"], in: folder)
        #expect(again.status == 64)
        let errors = again.stderrLines.filter { $0.hasPrefix("shardtrain: error:") }
        #expect(errors.count == 1 && errors[0].contains("already holds a run"), "\(again.stderr)")
        // Every rank refuses an unknown key; rank 0 says so once.
        let wrong = try mpirun(3, ["train", file, "--run-dir", "other", "--set", "training.nonsense=1"], in: folder)
        #expect(wrong.status == 64)
        #expect(wrong.stderrLines.filter { $0.hasPrefix("shardtrain: error:") }.count == 1, "\(wrong.stderr)")
    }

    @Test func slurmTasksThatMPIDoesNotConnectAreRefused() throws {
        let data = try writeBlobs(trainRows: 300, testRows: 30)
        let file = try experiment(data: data, batchSize: 32)
        let result = try shardtrain(["train", file, "--run-dir", temporaryPath("slurm")],
                                    environment: ["SLURM_NTASKS": "3", "SLURM_PROCID": "1"])
        #expect(result.status == 64)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("shardtrain: error: Slurm started 3 tasks (SLURM_NTASKS=3) but MPI sees a world of 1"))
    }
}
