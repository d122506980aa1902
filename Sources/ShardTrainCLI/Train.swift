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

    @Option(help: ArgumentHelp("Continue the run in this directory from its newest intact checkpoint.", valueName: "run-dir"))
    var resume: String?

    @Flag(help: "Start afresh in a run directory that already holds checkpoints, deleting them.")
    var force = false

    @Option(help: ArgumentHelp("Start from the weights of this model or checkpoint file (nothing else of it).", valueName: "file"))
    var initFrom: String?

    @Option(name: .long, help: "Where to write the trained model (overrides output.model).")
    var output: String?

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
        if resume != nil && (runDir != nil || initFrom != nil || force) {
            throw ValidationError("--resume DIR continues that run: --run-dir, --init-from and --force do not apply")
        }
    }

    func run() throws {
        var overrides = self.overrides
        if let output { overrides.append("output.model=\(tomlString(output))") }
        let stop = StopSignals.install()
        let trainer: Trainer
        if let resume {
            trainer = try resumedTrainer(runDirectory: resume, overrides: overrides)
        } else {
            let experiment = try ExperimentLoader.load(path: self.experiment!, overrides: overrides)
            let runDirectory = runDir ?? experiment.defaultRunDirectory
            let store = CheckpointStore(runDirectory: runDirectory, experiment: experiment)
            if !store.files().isEmpty {
                guard force else {
                    throw CommandFailure(
                        code: FailureReport.usage,
                        message: "\(runDirectory) already holds a run's checkpoints; continue it with `shardtrain train --resume \(runDirectory)`, start afresh with --force, or choose another --run-dir")
                }
                store.removeAll()
            }
            trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
            trainer.checkpoints = store
            if let initFrom {
                try trainer.warmStart(from: try ModelFile.read(from: initFrom), path: initFrom)
            }
            try RunDirectory.writeExperiment(experiment, to: runDirectory)
        }
        trainer.stopRequest = stop.requestedSignal
        if !quiet {
            let e = trainer.experiment
            let start = trainer.state.step > 0 ? ", resuming at step \(trainer.state.step) (epoch \(trainer.state.epoch))" : ""
            printToStandardError(
                "training \(e.name): \(trainer.network.layerSizes.map(String.init).joined(separator: "-")) "
                + "\(e.activation.rawValue), \(trainer.network.parameterCount) parameters, "
                + "\(trainer.data.train.rowCount) train / \(trainer.data.test.rowCount) test samples, "
                + "\(e.epochs) epochs of \(trainer.stepsPerEpoch) steps, \(trainer.workerCount) workers\(start)")
            trainer.progress = { printToStandardError($0.line) }
        }
        let summary = try trainer.run()
        if json {
            print(try summary.jsonLine())
        } else {
            var line = ""
            if let accuracy = summary.testAccuracy {
                line = "test accuracy \(String(format: "%.4f", accuracy)), "
            }
            line += "test loss \(String(format: "%.4f", summary.testLoss)) after \(summary.epochs) epochs"
            line += " (\(String(format: "%.1f", summary.seconds)) s, \(Int(summary.samplesPerSecond)) samples/s); model: \(summary.modelFile)"
            print(line)
        }
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
