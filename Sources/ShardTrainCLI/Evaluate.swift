import ArgumentParser
import Foundation
import ShardData
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
        let file = try DatasetFile(path: dataPath)
        let loaded = try file.load(split: split, features: experiment?.featuresName ?? "x",
                                   targets: experiment?.targetsName ?? "y")
        let network = model.network
        guard loaded.width == network.inputWidth else {
            throw DataError.widthMismatch(file: dataPath, object: "/\(split)/x", found: loaded.width,
                                          expected: network.inputWidth, what: "the model")
        }
        if let labels = loaded.labels, let row = labels.firstIndex(where: { Int($0) >= network.outputWidth }) {
            throw DataError.labelOutOfRange(file: dataPath, object: "/\(split)/y", row: row,
                                            label: Int64(labels[row]), classCount: network.outputWidth)
        }
        if loaded.labels == nil && loaded.targetWidth != network.outputWidth {
            throw DataError.widthMismatch(file: dataPath, object: "/\(split)/y", found: loaded.targetWidth,
                                          expected: network.outputWidth, what: "the model's output")
        }
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
