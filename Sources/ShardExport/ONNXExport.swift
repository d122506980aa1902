import Foundation
import ShardCore
import ShardNetwork

/// A trained network as a standard ONNX model (opset 13, IR version 7): one Gemm per dense
/// layer with its weight [inputs x outputs] and bias as initializers, the hidden activation
/// as Relu / Tanh / Sigmoid nodes, and for cross-entropy networks both `logits` and
/// `probabilities` (Softmax over axis 1) as named outputs. The input is [batch, features]
/// with a symbolic batch dimension.
public enum ONNXExport {
    public static let opsetVersion: Int64 = 13
    /// The IR version that goes with opset 13.
    public static let irVersion: Int64 = 7

    /// What the model's input holds.
    public enum Input: Equatable, Sendable {
        /// `features`, float32, already scaled as training saw them (uint8 pixels times the
        /// dataset's scale, 1/255 by default).
        case scaledFloat
        /// `pixels`, uint8 as stored in the dataset; a Cast and a Mul by `scale` in the graph
        /// turn them into the features.
        case uint8(scale: Double)
    }

    /// The serialized ModelProto.
    public static func model(network: Network, parameters: FloatBuffer, input: Input = .scaledFloat,
                             classNames: [String]? = nil, producerVersion: String,
                             documentation: String = "") throws(ExportError) -> Data {
        guard parameters.count == network.parameterCount else {
            throw .unsupportedModel(reason: "\(parameters.count) parameters for a network of \(network.parameterCount)")
        }
        var graph = Onnx_GraphProto()
        graph.name = "shardtrain"
        var current: String
        switch input {
        case .scaledFloat:
            current = "features"
            graph.input = [tensorInfo("features", elementType: .float, width: network.inputWidth)]
        case .uint8(let scale):
            graph.input = [tensorInfo("pixels", elementType: .uint8, width: network.inputWidth)]
            graph.node.append(node("Cast", inputs: ["pixels"], output: "pixels_as_float",
                                   attributes: [integerAttribute("to", Int64(Onnx_TensorProto.DataType.float.rawValue))]))
            graph.initializer.append(floatTensor("input_scale", shape: [], values: [Float(scale)]))
            graph.node.append(node("Mul", inputs: ["pixels_as_float", "input_scale"], output: "features"))
            current = "features"
        }

        var outputs: [String] = []
        for layer in 0..<network.layerCount {
            let weight = network.layout.entries[2 * layer], bias = network.layout.entries[2 * layer + 1]
            for entry in [weight, bias] {
                graph.initializer.append(floatTensor(
                    entry.name, shape: entry.shape,
                    values: UnsafeBufferPointer(start: parameters.pointer + entry.offset, count: entry.count)))
            }
            let isLast = layer == network.layerCount - 1
            let activation = isLast ? network.outputActivation : network.hiddenActivation
            let linear: String
            switch (isLast, network.loss) {
            case (true, .crossEntropy): linear = "logits"
            case (true, _) where activation == .identity: linear = "outputs"
            default: linear = "\(weight.layer).linear"
            }
            graph.node.append(node("Gemm", inputs: [current, weight.name, bias.name], output: linear))
            current = linear
            if isLast && network.loss == .crossEntropy {
                graph.node.append(node("Softmax", inputs: ["logits"], output: "probabilities",
                                       attributes: [integerAttribute("axis", 1)]))
                outputs = ["logits", "probabilities"]
            } else if let operatorName = operatorName(activation) {
                let output = isLast ? "outputs" : "\(weight.layer).\(activation.rawValue)"
                graph.node.append(node(operatorName, inputs: [current], output: output))
                current = output
            }
            if isLast && network.loss != .crossEntropy { outputs = ["outputs"] }
        }
        graph.output = outputs.map { tensorInfo($0, elementType: .float, width: network.outputWidth) }

        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        model.producerName = "shardtrain"
        model.producerVersion = producerVersion
        model.docString = documentation
        model.graph = graph
        var metadata: [(String, String)] = [("loss", network.loss.rawValue),
                                            ("hidden_activation", network.hiddenActivation.rawValue)]
        if case .uint8(let scale) = input { metadata.append(("input_scale", "\(scale)")) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes  // "T-shirt/top", not "T-shirt\/top"
        if let classNames, let json = try? encoder.encode(classNames) {
            metadata.append(("classes", String(decoding: json, as: UTF8.self)))
        }
        model.metadataProps = metadata.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        do { return try model.serializedData() } catch {
            throw .unsupportedModel(reason: "the ONNX model did not serialize: \(error)")
        }
    }

    static func operatorName(_ activation: Activation) -> String? {
        switch activation {
        case .relu: "Relu"
        case .tanh: "Tanh"
        case .sigmoid: "Sigmoid"
        case .identity: nil
        }
    }

    static func node(_ operatorType: String, inputs: [String], output: String,
                     attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = operatorType
        node.name = output
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        return node
    }

    static func integerAttribute(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = value
        return attribute
    }

    /// [batch, width], the batch dimension symbolic.
    static func tensorInfo(_ name: String, elementType: Onnx_TensorProto.DataType,
                           width: Int) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var columns = Onnx_TensorShapeProto.Dimension()
        columns.dimValue = Int64(width)
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(elementType.rawValue)
        tensor.shape.dim = [batch, columns]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        return info
    }

    /// Float32 values as raw little-endian bytes, the compact form the spec allows.
    static func floatTensor<Values: Collection<Float>>(_ name: String, shape: [Int],
                                                       values: Values) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var bytes = Data(capacity: values.count * 4)
        for value in values { bytes.appendLittleEndian(value.bitPattern) }
        tensor.rawData = bytes
        return tensor
    }
}
