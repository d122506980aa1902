import ArgumentParser
import Foundation
import ShardData
import ShardCheckpoint
import ShardConfig
import ShardTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained model file on a split of a dataset.")

    @Argument(help: "A model file written by `shardtrain train`.")
    var modelFile: String

    @Option(help: "The dataset file (default: the data.path the model was trained with).")
    var data: String?

    @Option(help: "The split to evaluate on.")
    var split = "test"

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    struct Result: Encodable {
        let model: String
        let data: String
        let split: String
        let samples: Int
        let loss: Double
        let accuracy: Double?
    }

    func run() throws {
        let model = try ModelFile.read(from: modelFile)
        let experiment = try? ExperimentLoader.load(text: model.experimentTOML, name: "model",
                                                    source: modelFile)
        guard let dataPath = data ?? experiment?.dataPath else {
            throw CommandFailure(code: FailureReport.usage,
                                 message: "\(modelFile) does not record its data file; pass --data FILE")
        }
        let features = experiment?.featuresName ?? "x", targets = experiment?.targetsName ?? "y"
        let loaded = try DatasetFile(path: dataPath).load(split: split, features: features, targets: targets)
        let network = model.network
        try loaded.checkFits(inputWidth: network.inputWidth, outputWidth: network.outputWidth,
                             file: dataPath, features: features, targets: targets, what: "the model")
        let result = Evaluator(network: network).evaluate(parameters: model.parameters, on: loaded)
        let report = Result(model: modelFile, data: dataPath, split: split, samples: loaded.rowCount,
                            loss: result.loss, accuracy: result.accuracy)
        if json {
            print(try report.jsonLine())
        } else {
            var line = "\(split): \(loaded.rowCount) samples, loss \(String(format: "%.4f", result.loss))"
            if let accuracy = result.accuracy { line += ", accuracy \(String(format: "%.4f", accuracy))" }
            print(line)
        }
    }
}
