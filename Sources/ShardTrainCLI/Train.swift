import ArgumentParser
import Foundation
import ShardCheckpoint
import ShardCluster
import ShardConfig
import ShardTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the network an experiment file describes, or resume a run.",
        discussion: """
            A run lives in a run directory (--run-dir, default runs/<experiment>): the resolved \
            experiment, checkpoints/ and the trained model. Progress goes to stderr, one line \
            per epoch; the result goes to stdout (a JSON object with --json). SIGINT or SIGTERM \
            finish the current step, save a checkpoint and exit 130 or 143; a second SIGINT \
            exits at once. `shardtrain train --resume DIR` continues from the newest intact \
            checkpoint with the same weights an uninterrupted run would have reached. Under \
            `mpirun -np N` (or srun with PMI) the N ranks train one run together, with the \
            weights of one process; rank 0 writes its files (README, "Several machines").
            """)

    @Argument(help: "The experiment file (TOML), e.g. experiments/fashion-mnist-mlp.toml.")
    var experiment: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a key: section.key=value, the value in TOML syntax (repeatable). On --resume only training.epochs, training.workers, checkpoint.*, output.model and logging.tensorboard may change.",
        valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "The run directory (default: runs/<experiment name>).")
    var runDir: String?

    @Option(help: "Name the run: its directory is runs/<name>.")
    var name: String?

    @Option(help: ArgumentHelp("Continue the run in this directory from its newest intact checkpoint.", valueName: "run-dir"))
    var resume: String?

    @Flag(help: "Start afresh in a run directory that already holds a run, deleting its checkpoints, metrics and model.")
    var force = false

    @Option(help: ArgumentHelp("Start from the weights of this model or checkpoint file (nothing else of it).", valueName: "file"))
    var initFrom: String?

    @Option(name: .long, help: "Where to write the trained model (overrides output.model).")
    var output: String?

    // Unconditional, so `--workers -1` is a value (refused by the key's range) rather than
    // "missing value" for an option that looks like a flag.
    @Option(parsing: .unconditional, help: "Worker threads (overrides training.workers; 0 = one per processor). The weights do not depend on it.")
    var workers: Int?

    @Option(help: ArgumentHelp("Under MPI: the longest a rank waits for the others in one exchange before it declares the run broken (a rank died or hung) and exits 69.", valueName: "seconds"))
    var rankTimeout: Int = 120

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress lines on stderr.")
    var quiet = false

    func validate() throws {
        switch (experiment, resume) {
        case (nil, nil): throw ValidationError("give an EXPERIMENT file to train, or --resume DIR")
        case (.some, .some): throw ValidationError("give either an EXPERIMENT file or --resume DIR, not both")
        default: break
        }
        if resume != nil && (runDir != nil || name != nil || initFrom != nil || force) {
            throw ValidationError("--resume DIR continues that run: --run-dir, --name, --init-from and --force do not apply")
        }
        if runDir != nil && name != nil {
            throw ValidationError("give --run-dir or --name, not both")
        }
        if rankTimeout < 1 { throw ValidationError("--rank-timeout must be at least 1 second") }
    }

    func run() throws {
        // nil without an MPI launcher: then nothing below touches MPI.
        let ranks = try Ranks.join(timeout: .seconds(rankTimeout))
        do {
            try train(ranks: ranks)
            ranks?.group.finish()
        } catch {
            guard let ranks else { throw error }
            throw ranks.leave(after: error)
        }
    }

    private func train(ranks: Ranks?) throws {
        var overrides = self.overrides
        if let output { overrides.append("\(Keys.outputModel.name)=\(tomlString(output))") }
        if let workers { overrides.append("\(Keys.workers.name)=\(workers)") }
        let stop = StopSignals.install()
        let setUp = Result { () throws -> (Trainer, RunDirectory) in
            try resume.map { try resumed($0, overrides: overrides, ranks: ranks) }
                ?? started(overrides: overrides, ranks: ranks)
        }
        try ranks?.agreeOnStart(setUp.map { $0.0.state.step })
        let (trainer, directory) = try setUp.get()
        let isWriter = trainer.isWriter
        let progress = ProgressDisplay(quiet: quiet || !isWriter)
        // Rank 0 alone writes the run's files and progress; every rank hears signals.
        trainer.observers = isWriter ? [directory, progress, stop] : [stop]
        if isWriter && trainer.experiment.logsToTensorBoard {
            trainer.observers.append(try TensorBoardLog(directory: directory, trainer: trainer))
        }
        progress.started(trainer)
        let gitCommit = experiment.flatMap(RunDirectory.gitCommit(near:))
        do {
            var report = try trainer.run()
            progress.finish()
            report.gitCommit = gitCommit
            ranks?.describeCommunication(in: &report)
            guard isWriter else { return }
            try directory.writeSummary(report)
            print(json ? ((try? report.jsonLine()) ?? "{}") : Self.resultLine(report))
        } catch {
            progress.finish()
            guard isWriter else { throw error }
            let (code, message) = FailureReport.describe(error)
            let status: RunReport.Status = switch error {
            case TrainingError.diverged: .diverged
            case TrainingError.interrupted: .interrupted
            default: .failed
            }
            var report = RunReport(trainer: trainer, status: status, modelFile: nil)
            report.exitCode = code
            report.message = message
            report.gitCommit = gitCommit
            ranks?.describeCommunication(in: &report)
            try? directory.writeCurves(name: trainer.experiment.name, history: trainer.state.history)
            try? directory.writeSummary(report)
            throw error
        }
    }

    /// A new run. Everything is loaded and checked (experiment, data, batch size, the
    /// --init-from model) before an earlier run in the directory is removed under --force.
    /// On ranks, every rank loads the experiment and the data and builds its trainer; rank 0
    /// alone takes the run directory.
    private func started(overrides: [String], ranks: Ranks?) throws -> (Trainer, RunDirectory) {
        guard let file = experiment else { throw ValidationError("give an EXPERIMENT file to train, or --resume DIR") }
        let experiment = try ranks.map { try ExperimentLoader.load(path: file, overrides: overrides,
                                                                   processors: $0.worldProcessors) }
            ?? ExperimentLoader.load(path: file, overrides: overrides)
        let path = runDir ?? name.map { "runs/\($0)" } ?? experiment.defaultRunDirectory
        try checkOutputsAreNotInputs(experiment: experiment, experimentFile: file, runDirectory: path)
        let data = try PreparedData.load(experiment, rankCount: ranks?.group.rankCount ?? 1)
        let store = CheckpointStore(runDirectory: path, experiment: experiment)
        let trainer = try Trainer(experiment: experiment, data: data, checkpoints: store,
                                  group: ranks?.group, processors: ranks?.processors)
        if let initFrom {
            try trainer.warmStart(from: try ModelFile.read(from: initFrom), path: initFrom)
        }
        let directory = RunDirectory(path: path)
        guard trainer.isWriter else { return (trainer, directory) }
        try directory.lock()
        if directory.holdsARun {
            guard force else {
                throw CommandFailure(
                    code: ExitStatus.usage.code,
                    message: "\(path) already holds a run; continue it with `shardtrain train --resume \(path)`, start afresh with --force, or choose another --run-dir")
            }
            store.removeAll()
            directory.clear()
        }
        try directory.writeExperiment(experiment)
        try directory.resetMetrics(to: [], validationColumns: data.validation != nil)
        return (trainer, directory)
    }

    /// An input is never an output: the model file must not be the experiment, the data or
    /// the --init-from file, and --force must not delete the --init-from file.
    private func checkOutputsAreNotInputs(experiment: Experiment, experimentFile: String, runDirectory: String) throws {
        let model = ResolvedPath(experiment.modelPath(runDirectory: runDirectory))
        var inputs = [("the experiment file", experimentFile), ("the data file (data.path)", experiment.dataPath)]
        if let initFrom { inputs.append(("the --init-from file", initFrom)) }
        for (role, input) in inputs where ResolvedPath(input) == model {
            throw CommandFailure(code: ExitStatus.usage.code,
                                 message: "the model would be written to \(model.text), which is \(role); choose another --output (or output.model)")
        }
        if let initFrom, force, ResolvedPath(initFrom).isInside(ResolvedPath(runDirectory)) {
            throw CommandFailure(code: ExitStatus.usage.code,
                                 message: "--init-from \(initFrom) is inside \(runDirectory), which --force would clear; copy it out of the run directory first, or train into another --run-dir")
        }
    }

    /// The run in `path`, continued from its newest intact checkpoint.
    private func resumed(_ path: String, overrides: [String], ranks: Ranks?) throws -> (Trainer, RunDirectory) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw CheckpointError.nothingToResume(directory: path, reason: "no checkpoints: there is no such run directory; start a run there with `shardtrain train EXPERIMENT --run-dir \(path)`")
        }
        let directory = RunDirectory(path: path)
        let isWriter = (ranks?.group.rank ?? 0) == 0
        if isWriter { try directory.lock() }
        let trainer = try Trainer(resuming: path, overrides: overrides, group: ranks?.group,
                                  processors: ranks?.processors, warn: isWriter ? printToStandardError : { _ in })
        guard isWriter else { return (trainer, directory) }
        trainer.checkpoints?.removeTemporaryFiles()
        try directory.resetMetrics(to: trainer.state.history, validationColumns: trainer.data.validation != nil)
        return (trainer, directory)
    }

    /// `test accuracy 0.8987, test loss 0.3078 after 20 epochs (8.8 s, 151939 samples/s); model: ...`;
    /// with validation data `... after 14 epochs (stopped early); model of epoch 11, chosen by
    /// validation, (...)`: the test figures are those of that model.
    static func resultLine(_ report: RunReport) -> String {
        var line = ""
        if let accuracy = report.testAccuracy {
            line = "test accuracy \(String(format: "%.4f", accuracy)), "
        }
        line += "test loss \(String(format: "%.4f", report.testLoss ?? .nan)) after \(report.epochs) epochs"
        if let best = report.bestEpoch {
            line += "\(report.stoppedEarly ? " (stopped early)" : ""); model of epoch \(best), chosen by validation,"
        }
        line += " (\(String(format: "%.1f", report.seconds)) s, \(Int(report.samplesPerSecond)) samples/s); model: \(report.modelFile ?? "none")"
        return line
    }
}

func tomlString(_ text: String) -> String { ConfigValue.string(text).description }

extension Encodable {
    /// One line of JSON with sorted keys.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A path made absolute with its folder's symbolic links resolved, so two spellings of one
/// file compare equal (`runs/x/model.h5` and `./runs/x/../x/model.h5`), also before it exists.
struct ResolvedPath: Equatable {
    let text: String

    init(_ path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let url = URL(fileURLWithPath: absolute).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) {
            text = url.resolvingSymlinksInPath().path
        } else {
            let folder = url.deletingLastPathComponent().resolvingSymlinksInPath().path
            text = (folder == "/" ? "" : folder) + "/" + url.lastPathComponent
        }
    }

    func isInside(_ folder: ResolvedPath) -> Bool {
        text.hasPrefix(folder.text.hasSuffix("/") ? folder.text : folder.text + "/")
    }
}
