import ArgumentParser
import Foundation
import ShardTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the network an experiment file describes.",
        discussion: """
            Progress goes to stderr, one line per epoch; the result goes to stdout (a JSON \
            object with --json). The trained model is written to output.model \
            (runs/<experiment>/model.h5 by default).
            """)

    @Argument(help: "The experiment file (TOML), e.g. experiments/fashion-mnist-mlp.toml.")
    var experiment: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a key: section.key=value, the value in TOML syntax (repeatable).",
        valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Where to write the trained model (overrides output.model).")
    var output: String?

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        var overrides = self.overrides
        if let output { overrides.append("output.model=\(tomlString(output))") }
        let experiment = try ExperimentLoader.load(path: self.experiment, overrides: overrides)
        let data = try PreparedData.load(experiment)
        let trainer = try Trainer(experiment: experiment, data: data)
        if !quiet {
            printToStandardError(
                "training \(experiment.name): \(trainer.network.layerSizes.map(String.init).joined(separator: "-")) "
                + "\(experiment.activation.rawValue), \(trainer.network.parameterCount) parameters, "
                + "\(data.train.rowCount) train / \(data.test.rowCount) test samples, "
                + "\(experiment.epochs) epochs of \(trainer.stepsPerEpoch) steps")
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
