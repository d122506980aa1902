import Foundation
import ShardTestSupport
import Testing

/// scripts/sweep.py --jobs: runs side by side on disjoint cores, failures marked, Ctrl-C
/// stopping every run with its checkpoint, and a rerun continuing from them.
struct SweepTests {
    /// A stand-in for shardtrain that logs its CPU affinity and arguments, then becomes the
    /// real binary: what each run was really given, not what the sweep says it gave.
    func recordingBinary() throws -> (binary: String, log: String) {
        let binary = temporaryPath("shardtrain-recording"), log = temporaryPath("launches.log")
        let script = """
            #!/bin/sh
            echo "$(grep Cpus_allowed_list /proc/self/status | cut -f2)|$*" >> '\(log)'
            exec '\(shardtrainBinary)' "$@"
            """
        try script.write(toFile: binary, atomically: true, encoding: .utf8)
        chmod(binary, 0o755)
        return (binary, log)
    }

    func sweep(_ arguments: [String], binary: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(repositoryRoot)/scripts/sweep.py"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["SHARDTRAIN": binary]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func launches(_ log: String) throws -> [(cores: String, arguments: String)] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    func sweepRecord(_ runDirectory: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/sweep-run.json"))) as! [String: Any]
    }

    @Test func twoJobsNeverShareACoreAndAFailureIsMarked() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        try #require(cores >= 2, "needs two cores to run two jobs")
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 600))
        let out = temporaryPath("sweep-jobs")
        let (binary, log) = try recordingBinary()
        // batch size 0 is refused (exit 64): the failing configuration.
        let process = try sweep([experiment, "training.batch_size=16,8,0,4", "--jobs", "2", "--out", out,
                                 "--", "--set", "training.epochs=2"], binary: binary)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let csv = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5)
        #expect(csv.dropFirst().filter { $0.contains(",completed,0,") }.count == 3, "\(csv)")
        #expect(csv.dropFirst().filter { $0.hasPrefix("0,failed,64,") }.count == 1, "\(csv)")

        // Each run was pinned to half the cores with a matching worker count...
        let runs = try launches(log)
        #expect(runs.count == 4)
        #expect(Set(runs.map(\.cores)).count == 2, "\(runs)")
        #expect(runs.allSatisfy { $0.arguments.contains("--set training.workers=\(cores / 2)") })
        // ...and runs that overlapped in time had disjoint cores.
        let records = try ["batch_size=16", "batch_size=8", "batch_size=0", "batch_size=4"].map {
            try sweepRecord("\(out)/\($0)")
        }
        for (i, a) in records.enumerated() {
            for b in records[(i + 1)...] {
                let overlap = (a["started"] as! Double) < (b["finished"] as! Double)
                    && (b["started"] as! Double) < (a["finished"] as! Double)
                if overlap {
                    #expect(Set(a["cores"] as! [Int]).isDisjoint(with: b["cores"] as! [Int]), "\(a) \(b)")
                }
            }
        }
    }

    @Test func anInterruptedSweepContinuesFromItsCheckpoints() throws {
        try #require(ProcessInfo.processInfo.activeProcessorCount >= 2, "needs two cores to run two jobs")
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 3000))
        let out = temporaryPath("sweep-interrupted")
        let (binary, log) = try recordingBinary()
        let line = [experiment, "optimizer.learning_rate=0.1,0.05,0.02", "--jobs", "2", "--out", out,
                    "--", "--set", "training.epochs=60", "--set", "training.batch_size=4"]
        let first = try sweep(line, binary: binary)
        // Stop once both running runs have written a checkpoint.
        let running = ["\(out)/learning_rate=0.1", "\(out)/learning_rate=0.05"]
        for _ in 0..<600 where !running.allSatisfy({ directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/checkpoints")) ?? [])
                .contains { $0.hasPrefix("step-") }
        }) { usleep(50_000) }
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        let stopped = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(stopped.filter { $0.contains(",interrupted,130,") }.count == 2, "\(stopped)")
        #expect(stopped.filter { $0.hasPrefix("0.02,pending,") }.count == 1, "\(stopped)")

        let second = try sweep(line, binary: binary)
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let finished = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(finished.dropFirst().allSatisfy { $0.contains(",completed,0,") }, "\(finished)")
        let arguments = try launches(log).map(\.arguments)
        #expect(arguments.count == 5, "\(arguments)")
        for directory in running {
            #expect(arguments.contains { $0.hasPrefix("train --resume \(directory) ") }, "\(directory) was not resumed")
        }
        #expect(arguments.filter { $0.contains("learning_rate=0.02") && $0.contains("--force") }.count == 1)

        // A third run of the line has nothing left to do.
        let third = try sweep(line, binary: binary)
        third.waitUntilExit()
        let launchCount = try launches(log).count
        #expect(third.terminationStatus == 0 && launchCount == 5)
    }
}
