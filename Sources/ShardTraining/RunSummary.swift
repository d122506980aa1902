import Foundation
import ShardCore

/// `summary.json`: how a run ended and its final and best figures.
public struct RunSummary: Codable, Sendable {
    /// `completed`, `diverged`, `interrupted` or `failed`.
    public var status: String
    public var exitCode: Int32
    public var message: String?
    public var experiment: String
    public var epochs: Int
    public var steps: Int
    public var final: EpochRecord?
    public var best: EpochRecord?
    public var wallSeconds: Double
    public var samplesPerSecond: Double
    public var workers: Int
    public var seed: UInt64
    public var shardtrainVersion: String
    /// The commit of the git repository holding the experiment file, when there is one.
    public var gitCommit: String?
    public var blasCore: String
    public var modelFile: String?

    enum CodingKeys: String, CodingKey {
        case status, message, experiment, epochs, steps, final, best, workers, seed
        case exitCode = "exit_code", wallSeconds = "wall_seconds", samplesPerSecond = "samples_per_second"
        case shardtrainVersion = "shardtrain_version", gitCommit = "git_commit", blasCore = "blas_core"
        case modelFile = "model_file"
    }

    /// The summary of `trainer`'s run as it stands, ending with `status`.
    public init(trainer: Trainer, status: String, exitCode: Int32, message: String?, modelFile: String?,
                gitCommit: String?) {
        let state = trainer.state
        self.status = status
        self.exitCode = exitCode
        self.message = message
        experiment = trainer.experiment.name
        epochs = state.history.count
        steps = state.step
        final = state.history.last
        let best = state.history.max { a, b in
            (a.testAccuracy ?? -a.testLoss) < (b.testAccuracy ?? -b.testLoss)
        }
        self.best = best
        wallSeconds = state.wallSeconds
        samplesPerSecond = state.trainingSeconds > 0 ? Double(state.samplesSeen) / state.trainingSeconds : 0
        workers = trainer.workerCount
        seed = trainer.experiment.seed
        shardtrainVersion = ShardTrainVersion.string
        self.gitCommit = gitCommit
        blasCore = BLAS.coreName
        self.modelFile = modelFile
    }

    /// `git rev-parse HEAD` in the folder holding `file`, or nil.
    public static func gitCommit(near file: String) -> String? {
        let folder = (file as NSString).deletingLastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder.isEmpty ? "." : folder, "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
