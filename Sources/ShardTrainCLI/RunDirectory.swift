import Foundation
import ShardCheckpoint
import ShardConfig
import ShardTraining

/// A run directory: `experiment.toml`, `metrics.csv`, `checkpoints/`, `model.h5`,
/// `summary.json` and `curves.svg`, held by one process at a time through `.lock`. As a
/// training observer it appends each epoch's metrics row and redraws the curves.
final class RunDirectory: TrainingObserver {
    let path: String
    private var lockDescriptor: Int32 = -1

    init(path: String) {
        self.path = path
    }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    var metricsPath: String { "\(path)/metrics.csv" }
    var summaryPath: String { "\(path)/summary.json" }
    var curvesPath: String { "\(path)/curves.svg" }

    /// Takes the directory's lock (flock on `.lock`, released when the process ends, however it
    /// ends), so two processes never write one run at once.
    func lock() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.writeFailed(path: path, reason: AtomicFile.reason(error))
        }
        let descriptor = open("\(path)/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError.writeFailed(path: "\(path)/.lock", reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CommandFailure(code: ExitStatus.usage.code, message: "\(path) is in use by another shardtrain process (its .lock is held); wait for it to finish or choose another --run-dir")
        }
        lockDescriptor = descriptor
    }

    /// `experiment.toml`: the resolved experiment, every key, so the run can be repeated.
    func writeExperiment(_ experiment: Experiment) throws(CheckpointError) {
        try AtomicFile.write(to: "\(path)/experiment.toml") { temporary in
            try experiment.resolvedTOML.write(toFile: temporary, atomically: false, encoding: .utf8)
        }
    }

    // MARK: metrics.csv

    static let metricsHeader = "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate\n"

    /// One row per evaluation. Timings are left out on purpose: the rows of a resumed run
    /// equal, byte for byte, those of the run never interrupted.
    static func metricsRow(_ record: EpochRecord) -> String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [String(record.epoch), String(record.step), number(record.trainLoss), number(record.trainAccuracy),
                number(record.testLoss), number(record.testAccuracy), number(record.learningRate)]
            .joined(separator: ",") + "\n"
    }

    /// Rewrites metrics.csv from a history (at the start of a run or a resume: rows a killed
    /// process wrote after its last checkpoint are dropped, and are written again when the
    /// resumed run reaches them).
    func resetMetrics(to history: [EpochRecord]) throws(CheckpointError) {
        let text = Self.metricsHeader + history.map(Self.metricsRow).joined()
        try AtomicFile.write(to: metricsPath) { temporary in
            try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        }
    }

    /// The history in a run directory's metrics.csv (for `shardtrain plot`).
    static func readMetrics(_ path: String) throws(CheckpointError) -> [EpochRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .badModelFile(path: path, reason: "no readable metrics.csv; is it a run directory?")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first.map({ $0 + "\n" }) == Substring(metricsHeader) else {
            throw .badModelFile(path: path, reason: "the header is not \(metricsHeader.dropLast())")
        }
        lines.removeFirst()
        return try lines.enumerated().map { (index, line) throws(CheckpointError) -> EpochRecord in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 7, let epoch = Int(fields[0]), let step = Int(fields[1]),
                  let trainLoss = Double(fields[2]), let testLoss = Double(fields[4]),
                  let rate = Double(fields[6]) else {
                throw .badModelFile(path: path, reason: "row \(index + 2) is malformed: \(line)")
            }
            return EpochRecord(epoch: epoch, step: step, trainLoss: trainLoss, trainAccuracy: Double(fields[3]),
                               testLoss: testLoss, testAccuracy: Double(fields[5]), learningRate: rate, seconds: 0)
        }
    }

    func appendMetrics(_ record: EpochRecord) throws(CheckpointError) {
        guard let handle = FileHandle(forWritingAtPath: metricsPath) else {
            throw .writeFailed(path: metricsPath, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Self.metricsRow(record).utf8))
        } catch {
            throw .writeFailed(path: metricsPath, reason: AtomicFile.reason(error))
        }
    }

    // MARK: summary.json and curves.svg

    func writeSummary(_ summary: RunReport) throws(CheckpointError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(summary) } catch {
            throw .writeFailed(path: summaryPath, reason: AtomicFile.reason(error))
        }
        try AtomicFile.write(to: summaryPath) { temporary in
            try data.write(to: URL(fileURLWithPath: temporary))
        }
    }

    func writeCurves(name: String, history: [EpochRecord]) throws(CheckpointError) {
        let svg = CurvesPlot(runs: [(name, history)]).svg()
        try AtomicFile.write(to: curvesPath) { temporary in
            try svg.write(toFile: temporary, atomically: false, encoding: .utf8)
        }
    }

    func epochEnded(_ report: EpochReport, trainer: Trainer) throws {
        try appendMetrics(report.record)
        try writeCurves(name: trainer.experiment.name, history: trainer.state.history)
    }

    /// `git rev-parse HEAD` in the folder holding `file`, or nil.
    static func gitCommit(near file: String) -> String? {
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

    /// True when the directory holds a run (checkpoints, a summary, or metrics).
    /// Any file a run writes counts, model.h5 included: a folder holding a model that is not
    /// a run's is not overwritten without --force either.
    var holdsARun: Bool {
        let manager = FileManager.default
        let checkpoints = (try? manager.contentsOfDirectory(atPath: "\(path)/checkpoints")) ?? []
        return checkpoints.contains { $0.hasPrefix("step-") }
            || Self.runFiles.contains { manager.fileExists(atPath: "\(path)/\($0)") }
    }

    /// What a run leaves in its directory besides checkpoints/ (and the lock).
    static let runFiles = ["experiment.toml", "metrics.csv", "summary.json", "curves.svg", "model.h5"]

    /// Deletes what an earlier run left (for --force), but not the lock.
    func clear() {
        for name in Self.runFiles {
            unlink("\(path)/\(name)")
        }
        try? FileManager.default.removeItem(atPath: tensorBoardPath)
    }

    /// TensorBoard's event files (logging.tensorboard).
    var tensorBoardPath: String { "\(path)/tensorboard" }
}
