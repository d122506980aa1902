import ArgumentParser
import Foundation
import ShardCore
import ShardData
import ShardCheckpoint
import ShardConfig
import ShardHDF5
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

    @Option(help: ArgumentHelp(
        "Also write the model's output for every row to this HDF5 file: `outputs` [rows x outputs] (probabilities for classifiers) and `predicted` [rows] classes.",
        valueName: "file"))
    var saveOutputs: String?

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
        let evaluator = Evaluator(network: network)
        let result = evaluator.evaluate(parameters: model.parameters, on: loaded)
        if let saveOutputs {
            try writeOutputs(evaluator.outputs(parameters: model.parameters, on: loaded),
                             rows: loaded.rowCount, width: network.outputWidth, to: saveOutputs)
        }
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

    /// `outputs` and `predicted` (the first largest output of each row, as accuracy counts it).
    private func writeOutputs(_ outputs: FloatBuffer, rows: Int, width: Int, to path: String) throws {
        let predicted = (0..<rows).map { row in
            let line = outputs.pointer + row * width
            return Int64((0..<width).reduce(0) { line[$1] > line[$0] ? $1 : $0 })
        }
        do {
            let file = try HDF5File.create(path)
            try file.root.createDataset("outputs", shape: [rows, width], values: UnsafeBufferPointer(outputs.buffer))
            try file.root.createDataset("predicted", shape: [rows], values: predicted)
            try file.flush()
        } catch {
            throw CommandFailure(code: FailureReport.output,
                                 message: "could not write \(path): \(error); check the folder exists and is writable")
        }
    }
}
