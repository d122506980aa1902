import Foundation
import ShardTestSupport
import Testing

/// logging.tensorboard read back by TensorBoard's own EventAccumulator
/// (Tests/Interop/tensorboard_scalars.py): every metric at every evaluated step, also after
/// a SIGKILL and a resume, with the values of the run never interrupted.
@Suite(.enabled(if: !InteropPython.isSkipped, "SHARDTRAIN_SKIP_INTEROP=1"))
struct TensorBoardLogTests {
    static let tags = ["loss/train", "loss/test", "accuracy/train", "accuracy/test", "learning_rate",
                       "samples_per_second"]

    /// tag -> [(step, value)] as TensorBoard reads them.
    func scalars(_ runDirectory: String) throws -> [String: [[Double]]] {
        let read = try InteropPython.run("tensorboard_scalars.py", ["\(runDirectory)/tensorboard"])
        try #require(read.status == 0, "\(read.stderr)")
        return try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as! [String: [[Double]]]
    }

    /// The steps of metrics.csv, one per evaluation.
    func evaluatedSteps(_ runDirectory: String) throws -> [Double] {
        try String(contentsOfFile: "\(runDirectory)/metrics.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst().map { Double($0.split(separator: ",")[1])! }
    }

    @Test func everyMetricAtEveryStepAndTheSameAfterAKill() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 3000), extra: "[logging]\ntensorboard = true")
        let settings = ["--set", "training.batch_size=4", "--set", "training.epochs=12",
                        "--set", "checkpoint.every_steps=100"]
        let whole = temporaryPath("tb-whole")
        let run = try shardtrain(["train", experiment, "--run-dir", whole, "--quiet"] + settings)
        #expect(run.status == 0, "\(run.stderr)")
        let expected = try scalars(whole)
        let steps = try evaluatedSteps(whole)
        #expect(steps.count == 12)
        #expect(Set(expected.keys) == Set(Self.tags))
        for tag in Self.tags {
            #expect(expected[tag]?.map { $0[0] } == steps, "\(tag)")
        }
        #expect(expected["samples_per_second"]!.allSatisfy { $0[1] > 0 })

        // The same run killed twice at arbitrary moments, resumed each time.
        let killed = temporaryPath("tb-killed")
        let first = Process()
        first.executableURL = URL(fileURLWithPath: shardtrainBinary)
        first.arguments = ["train", experiment, "--run-dir", killed, "--quiet"] + settings
        first.standardError = FileHandle.nullDevice
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        try killAfterEvaluations(4, of: first, in: killed)
        let second = Process()
        second.executableURL = URL(fileURLWithPath: shardtrainBinary)
        second.arguments = ["train", "--resume", killed, "--quiet"]
        second.standardError = FileHandle.nullDevice
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        try killAfterEvaluations(8, of: second, in: killed)
        let last = try shardtrain(["train", "--resume", killed, "--quiet"])
        #expect(last.status == 0, "\(last.stderr)")

        let resumed = try scalars(killed)
        #expect(Set(resumed.keys) == Set(Self.tags))
        for tag in Self.tags {
            #expect(resumed[tag]?.map { $0[0] } == steps, "\(tag): \(resumed[tag] ?? [])")
            if tag != "samples_per_second" {
                #expect(resumed[tag]?.map { $0[1] } == expected[tag]?.map { $0[1] }, "\(tag)")
            }
        }
        #expect(try TensorBoardFiles.count(killed) >= 2)
    }

    func killAfterEvaluations(_ count: Int, of process: Process, in runDirectory: String) throws {
        for _ in 0..<2000 {
            if ((try? evaluatedSteps(runDirectory)) ?? []).count >= count || !process.isRunning { break }
            usleep(5_000)
        }
        usleep(UInt32.random(in: 0..<20_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before it was killed")
    }
}

enum TensorBoardFiles {
    static func count(_ runDirectory: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "\(runDirectory)/tensorboard")
            .filter { $0.contains("tfevents") }.count
    }
}
