import Foundation
import ShardCheckpoint
import ShardTestSupport
import Testing

/// A data file that shrinks or disappears while a streamed run reads it: one line naming the
/// file and the rows, exit 65, the last checkpoint intact, and a resume once the file is back.
struct StreamFaultTests {
    @Test(arguments: ["truncate", "delete"])
    func aFileThatChangesMidRunIsExit65WithTheCheckpointIntact(fault: String) throws {
        let original = try writeByteImages()
        let data = temporaryPath("faulty.h5")
        try FileManager.default.copyItem(atPath: original, toPath: data)
        let runDirectory = temporaryPath("fault-run")
        let setup = try writeExperiment(data: data)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shardtrainBinary)
        process.arguments = ["train", setup, "--run-dir", runDirectory, "--quiet",
                             "--set", "data.loading=\"stream\"", "--set", "data.shuffle_window=400",
                             "--set", "training.epochs=400", "--set", "checkpoint.every_steps=20"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Ready: a checkpoint exists, so the run is mid-epoch with the reader going.
        let checkpoints = "\(runDirectory)/checkpoints"
        let deadline = Date().addingTimeInterval(120)
        while ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).filter({ $0.hasPrefix("step-") }).isEmpty,
              process.isRunning, Date() < deadline {
            usleep(5_000)
        }
        if fault == "truncate" { truncate(data, 100_000) } else { unlink(data) }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 65, "\(stderr)")
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(stderr)")
        #expect(stderr.hasPrefix("shardtrain: error: \(data): reading rows "), "\(stderr)")
        // A truncation is seen either by the reader's size check ("shrank") or, when the cut
        // lands inside a chunk being read, by HDF5's decompression ("truncated or corrupt").
        #expect(fault == "truncate" ? stderr.contains("shrank") || stderr.contains("truncated or corrupt")
                                    : stderr.contains("disappeared"), "\(stderr)")

        // The newest checkpoint is intact, and the run resumes once the file is back.
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 20, everyEpochs: 1, keep: 3)
        let newest = try store.newestValid { Issue.record("damaged checkpoint: \($0)") }
        #expect(newest.state.step > 0)
        unlink(data)
        try FileManager.default.copyItem(atPath: original, toPath: data)
        let resumed = try shardtrain(["train", "--resume", runDirectory, "--quiet", "--set", "training.epochs=\(newest.state.epoch)"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }
}
