import ArgumentParser
import Foundation
import ShardCheckpoint
import ShardCore
import ShardExport

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a model or checkpoint as an ONNX model.",
        discussion: """
            The ONNX model (opset 13) takes `features` [batch, inputs] float32, scaled as in \
            training: uint8 pixels divided by 255 (or times the dataset's `scale` attribute). \
            With --uint8-input it takes the raw `pixels` [batch, inputs] uint8 instead and \
            scales them itself. A classifier has two outputs, `logits` and `probabilities` \
            (softmax); an MSE model has `outputs`. Class names are in the metadata key `classes`.
            """)

    @Argument(help: "A model file or checkpoint written by `shardtrain train`.")
    var modelFile: String

    @Option(help: ArgumentHelp("Where to write the ONNX model.", valueName: "file"))
    var onnx: String

    @Flag(help: "Take uint8 pixels as input and scale them in the graph.")
    var uint8Input = false

    @Option(help: ArgumentHelp("The scale of --uint8-input (the dataset's `scale` attribute of x).", valueName: "scale"))
    var inputScale: Double = 1.0 / 255

    func validate() throws {
        guard inputScale.isFinite, inputScale > 0 else {
            throw ValidationError("--input-scale must be a positive number")
        }
    }

    func run() throws {
        let model = try ModelFile.read(from: modelFile)
        let data = try ONNXExport.model(
            network: model.network, parameters: model.parameters,
            input: uint8Input ? .uint8(scale: inputScale) : .scaledFloat,
            classNames: model.classNames, producerVersion: ShardTrainVersion.string,
            documentation: "\(model.experimentName), exported by shardtrain from \((modelFile as NSString).lastPathComponent)")
        do {
            try data.write(to: URL(fileURLWithPath: onnx), options: .atomic)
        } catch {
            throw ExportError.writeFailed(path: onnx, reason: (error as NSError).localizedDescription)
        }
        printToStandardError("wrote \(onnx) (\(model.network.layerSizes.map(String.init).joined(separator: "-")), \(data.count) bytes)")
    }
}
