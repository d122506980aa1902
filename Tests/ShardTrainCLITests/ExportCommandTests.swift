import Foundation
import ShardHDF5
import ShardTestSupport
import Testing

/// `shardtrain export` run in onnxruntime: the same outputs as `shardtrain eval`, checked by
/// ONNX's own checker (Tests/Interop/onnx_matches_eval.py).
@Suite(.enabled(if: !InteropPython.isSkipped, "SHARDTRAIN_SKIP_INTEROP=1"))
struct ExportCommandTests {
    /// Each hidden activation and each loss, the MSE ones with an output activation too.
    static let models: [(activation: String, loss: String, output: String)] = [
        ("relu", "cross_entropy", "identity"), ("tanh", "cross_entropy", "identity"),
        ("sigmoid", "cross_entropy", "identity"), ("relu", "mse", "identity"),
        ("tanh", "mse", "sigmoid"),
    ]

    @Test(arguments: models)
    func onnxruntimeGivesEvalsOutputs(model: (activation: String, loss: String, output: String)) throws {
        let data = try writeBlobs(trainRows: 150, testRows: 60)
        let runDirectory = temporaryPath("onnx-\(model.activation)-\(model.loss)")
        let train = try shardtrain([
            "train", try writeExperiment(data: data), "--run-dir", runDirectory, "--quiet", "--set", "training.epochs=2",
            "--set", "model.hidden=[8,5]", "--set", "model.activation=\"\(model.activation)\"",
            "--set", "model.loss=\"\(model.loss)\"", "--set", "model.output_activation=\"\(model.output)\""])
        #expect(train.status == 0, "\(train.stderr)")
        try expectSameOutputs(model: "\(runDirectory)/model.h5", data: data)
    }

    @Test func aCheckpointExportsAndUint8PixelsAreScaledInTheGraph() throws {
        // Pixels as uint8 with a scale attribute, as an imported image dataset stores them.
        let data = try writeBlobs(trainRows: 150, testRows: 60) { group, split in
            let rows = split == "train" ? 150 : 60
            let codes: [Int] = (0..<(rows * 4)).map { index in (index * 37 + index / 4 * 11) % 256 }
            let x = try group.createDataset("x", shape: [rows, 4], values: codes.map(UInt8.init))
            try x.setAttribute("scale", 1.0 / 64)
            let labels: [Int32] = (0..<rows).map { row in codes[4 * row] > 128 ? 1 : 0 }
            try group.createDataset("y", shape: [rows], values: labels)
        }
        let runDirectory = temporaryPath("onnx-checkpoint")
        #expect(try shardtrain(["train", try writeExperiment(data: data), "--run-dir", runDirectory, "--quiet"]).status == 0)
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(runDirectory)/checkpoints")
            .filter { $0.hasPrefix("step-") }.sorted().first)
        try expectSameOutputs(model: "\(runDirectory)/checkpoints/\(checkpoint)", data: data)
        try expectSameOutputs(model: "\(runDirectory)/model.h5", data: data, uint8Scale: 1.0 / 64)
    }

    @Test func exportErrorsNameTheFileAndExitCode() throws {
        let notAModel = temporaryPath("not-a-model.h5")
        try "plain text".write(toFile: notAModel, atomically: true, encoding: .utf8)
        let bad = try shardtrain(["export", notAModel, "--onnx", temporaryPath("x.onnx")])
        #expect(bad.status == 65 && bad.stderr.hasPrefix("shardtrain: error:") && bad.stderr.contains(notAModel))
        let runDirectory = temporaryPath("onnx-unwritable")
        #expect(try shardtrain(["train", try writeExperiment(data: try writeBlobs()), "--run-dir", runDirectory, "--quiet"]).status == 0)
        let unwritable = try shardtrain(["export", "\(runDirectory)/model.h5", "--onnx", "/nonexistent/folder/m.onnx"])
        #expect(unwritable.status == 74 && unwritable.stderr.contains("/nonexistent/folder/m.onnx"), "\(unwritable.stderr)")
        #expect(try shardtrain(["export", "\(runDirectory)/model.h5"]).status == 64)  // no --onnx
    }

    /// Exports `model`, evaluates it with `shardtrain eval --save-outputs` and runs both
    /// through onnxruntime on the test split.
    func expectSameOutputs(model: String, data: String, uint8Scale: Double? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let onnx = temporaryPath("model.onnx"), outputs = temporaryPath("outputs.h5")
        var arguments = ["export", model, "--onnx", onnx]
        if let uint8Scale { arguments += ["--uint8-input", "--input-scale", "\(uint8Scale)"] }
        let export = try shardtrain(arguments)
        #expect(export.status == 0, "\(export.stderr)", sourceLocation: sourceLocation)
        let eval = try shardtrain(["eval", model, "--data", data, "--save-outputs", outputs])
        #expect(eval.status == 0, "\(eval.stderr)", sourceLocation: sourceLocation)
        let check = try InteropPython.run("onnx_matches_eval.py",
                                          [onnx, outputs, data, "test"] + (uint8Scale == nil ? [] : ["--uint8-input"]))
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
    }
}
