import ArgumentParser
import Foundation
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
            checkpoint with the same weights an uninterrupted run would have reached.
            """)

    @Argument(help: "The experiment file (TOML), e.g. experiments/fashion-mnist-mlp.toml.")
    var experiment: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a key: section.key=value, the value in TOML syntax (repeatable). On --resume only training.epochs, training.workers, checkpoint.* and output.model may change.",
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

    @Option(help: "Worker threads (overrides training.workers; 0 = one per processor). The weights do not depend on it.")
    var workers: Int?

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
    }

    func run() throws {
        var overrides = self.overrides
        if let output { overrides.append("output.model=\(tomlString(output))") }
        if let workers { overrides.append("training.workers=\(workers)") }
        let stop = StopSignals.install()
        let trainer: Trainer
        let directory: RunDirectory
        if let resume {
            directory = RunDirectory(path: resume)
            try directory.lock()
            trainer = try resumedTrainer(runDirectory: resume, overrides: overrides)
            trainer.checkpoints?.removeTemporaryFiles()
            try directory.resetMetrics(to: trainer.state.history)
        } else {
            let experiment = try ExperimentLoader.load(path: self.experiment!, overrides: overrides)
            let path = runDir ?? name.map { "runs/\($0)" } ?? experiment.defaultRunDirectory
            directory = RunDirectory(path: path)
            try directory.lock()
            let store = CheckpointStore(runDirectory: path, experiment: experiment)
            if directory.holdsARun {
                guard force else {
                    throw CommandFailure(
                        code: FailureReport.usage,
                        message: "\(path) already holds a run; continue it with `shardtrain train --resume \(path)`, start afresh with --force, or choose another --run-dir")
                }
                store.removeAll()
                directory.clear()
            }
            trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
            trainer.checkpoints = store
            if let initFrom {
                try trainer.warmStart(from: try ModelFile.read(from: initFrom), path: initFrom)
            }
            try directory.writeExperiment(experiment)
            try directory.resetMetrics(to: [])
        }
        trainer.stopRequest = stop.requestedSignal
        let name = trainer.experiment.name
        trainer.epochEnded = { [unowned trainer] (record: EpochRecord) throws(TrainingError) in
            try directory.appendMetrics(record)
            try directory.writeCurves(name: name, history: trainer.state.history)
        }
        let progress = ProgressDisplay(trainer: trainer, quiet: quiet)
        progress.attach()
        let gitCommit = self.experiment.flatMap(RunSummary.gitCommit(near:))
        do {
            let summary = try trainer.run()
            progress.finish()
            try directory.writeSummary(RunSummary(trainer: trainer, status: "completed", exitCode: 0, message: nil,
                                                  modelFile: summary.modelFile, gitCommit: gitCommit))
            report(summary)
        } catch {
            progress.finish()
            let (code, message) = FailureReport.describe(error)
            let status = switch error {
            case .diverged: "diverged"
            case .interrupted: "interrupted"
            default: "failed"
            }
            try? directory.writeCurves(name: name, history: trainer.state.history)
            try? directory.writeSummary(RunSummary(trainer: trainer, status: status, exitCode: code, message: message,
                                                   modelFile: nil, gitCommit: gitCommit))
            throw error
        }
    }

    private func report(_ summary: TrainingSummary) {
        if json {
            print((try? summary.jsonLine()) ?? "{}")
            return
        }
        var line = ""
        if let accuracy = summary.testAccuracy {
            line = "test accuracy \(String(format: "%.4f", accuracy)), "
        }
        line += "test loss \(String(format: "%.4f", summary.testLoss)) after \(summary.epochs) epochs"
        line += " (\(String(format: "%.1f", summary.seconds)) s, \(Int(summary.samplesPerSecond)) samples/s); model: \(summary.modelFile)"
        print(line)
    }

    /// The run in `runDirectory`, restored from its newest intact checkpoint, with the
    /// experiment it was started with and the overrides a resume may make.
    private func resumedTrainer(runDirectory: String, overrides: [String]) throws -> Trainer {
        let store = CheckpointStore(runDirectory: runDirectory, everySteps: 0, everyEpochs: 1, keep: 1)
        let checkpoint = try store.newestValid(warn: printToStandardError)
        let source = "the experiment saved in \(runDirectory)"
        let original = try ExperimentLoader.load(text: checkpoint.model.experimentTOML,
                                                 name: checkpoint.model.experimentName, source: source)
        let experiment = try ExperimentLoader.load(text: checkpoint.model.experimentTOML,
                                                   name: checkpoint.model.experimentName, source: source,
                                                   overrides: overrides)
        for (key, value) in experiment.values.sorted(by: { $0.key < $1.key })
        where original.values[key] != value && !Experiment.changeableOnResume.contains(key) {
            throw CommandFailure(
                code: FailureReport.usage,
                message: "--set \(key) cannot change on --resume (the run has \(original.values[key]!)); only \(Experiment.changeableOnResume.sorted().joined(separator: ", ")) may. Start a new run with another --run-dir to change it")
        }
        let trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
        trainer.checkpoints = CheckpointStore(runDirectory: runDirectory, experiment: experiment)
        try trainer.restore(from: checkpoint)
        return trainer
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
