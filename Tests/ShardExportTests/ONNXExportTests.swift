import Foundation
import ShardCore
@testable import ShardExport
import ShardNetwork
import Testing

/// The exported graph's structure; tests/interop runs it in onnxruntime.
struct ONNXExportTests {
    @Test(arguments: [(Activation.relu, Loss.crossEntropy), (.tanh, .meanSquaredError), (.sigmoid, .crossEntropy)])
    func theGraphHasOneGemmPerLayerAndNamedOutputs(activation: Activation, loss: Loss) throws {
        let network = Network(layerSizes: [4, 3, 2], hiddenActivation: activation, loss: loss,
                              outputActivation: .sigmoid)
        let parameters = FloatBuffer((0..<network.parameterCount).map { Float($0) / 10 })
        let data = try ONNXExport.model(network: network, parameters: parameters, input: .uint8(scale: 0.5),
                                        classNames: ["a", "b"], producerVersion: "test")
        let model = try Onnx_ModelProto(serializedBytes: data)
        #expect(model.opsetImport.first?.version == 13 && model.irVersion == 7)
        let graph = model.graph
        #expect(graph.input.map(\.name) == ["pixels"])
        #expect(graph.input[0].type.tensorType.shape.dim.map(\.dimParam) == ["batch", ""])
        #expect(graph.input[0].type.tensorType.shape.dim[1].dimValue == 4)
        #expect(graph.node.filter { $0.opType == "Gemm" }.count == 2)
        #expect(graph.node.contains { $0.opType == ONNXExport.operatorName(activation) })
        #expect(graph.output.map(\.name) == (loss == .crossEntropy ? ["logits", "probabilities"] : ["outputs"]))
        let weight = try #require(graph.initializer.first { $0.name == "dense0.weight" })
        #expect(weight.dims == [4, 3] && weight.rawData.count == 12 * 4)
        #expect(model.metadataProps.contains { $0.key == "classes" && $0.value == "[\"a\",\"b\"]" })
    }
}
