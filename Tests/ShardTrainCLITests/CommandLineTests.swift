import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
import Testing

/// End-to-end runs of the real binary: results, output streams and exit codes.
struct TrainAndEvaluateTests {
    @Test func trainPrintsJSONAndEvalReproducesTheAccuracy() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let folder = temporaryPath("cwd")  // model_file is relative to where train ran
        let train = try shardtrain(["train", experiment, "--json"], in: folder)
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as! [String: Any]
        for key in ["test_accuracy", "test_loss", "train_loss", "epochs", "steps", "seconds",
                    "samples_per_second", "workers", "model_file"] {
            #expect(summary[key] != nil, "missing \(key)")
        }
        #expect(summary["epochs"] as? Int == 3)
        #expect(summary["steps"] as? Int == 3 * 8)  // 120 rows in batches of 16
        #expect(train.stderrLines.filter { $0.hasPrefix("epoch ") }.count == 3)
        #expect(train.stdout.split(separator: "\n").count == 1)

        let modelFile = summary["model_file"] as! String
        let evaluation = try shardtrain(["eval", modelFile, "--json"], in: folder)
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as! [String: Any]
        #expect(result["accuracy"] as? Double == summary["test_accuracy"] as? Double)

        let inspect = try shardtrain(["inspect", modelFile], in: folder)
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("model: 4-8-3"))
        #expect(inspect.stdout.contains("weight: float32 [4 x 8]"))
    }

    @Test func fastBLASKernelsTrainLikeTheGenericOnes() throws {
        // The binary replaces OpenBLAS's generic fallback (Prescott) with the CPU's own kernel
        // family; the two must train the same network to the same loss up to rounding.
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let chosen = try shardtrain(["train", experiment, "--json", "--quiet"])
        let generic = try shardtrain(["train", experiment, "--json", "--quiet"],
                                     environment: ["OPENBLAS_CORETYPE": "Prescott"])
        let a = try JSONSerialization.jsonObject(with: Data(chosen.stdout.utf8)) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(generic.stdout.utf8)) as! [String: Any]
        #expect(b["blas_core"] as? String == "Prescott")
        if BLAS.betterCoreType() != nil || BLAS.coreName != "Prescott" {
            #expect(a["blas_core"] as? String != "Prescott")
        }
        let lossA = a["test_loss"] as! Double, lossB = b["test_loss"] as! Double
        #expect(abs(lossA - lossB) <= 1e-4 * max(1, lossB), "\(lossA) vs \(lossB)")
    }

    @Test func setOverridesReachTheRun() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let run = try shardtrain(["train", experiment, "--json", "--quiet", "--set", "training.epochs=1",
                                  "--set", "model.hidden=[5, 4]"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("\"epochs\":1"))
        let parameters: Int = (4 * 5 + 5) + (5 * 4 + 4) + (4 * 3 + 3)
        #expect(run.stdout.contains("\"parameters\":\(parameters)"))
    }
}

/// Bad input: one line on stderr naming the thing and the fix, a documented exit code, and
/// never a trap or a stack dump.
struct BadInputTests {
    func expectFailure(_ arguments: [String], status: Int32, mentions: [String], in folder: String? = nil) throws {
        let run = try shardtrain(arguments, in: folder)
        #expect(run.status == status, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("shardtrain: error: "))
        for text in mentions { #expect(run.stderr.contains(text), "\(run.stderr) should mention \(text)") }
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"))
        #expect(run.stdout.isEmpty)
    }

    @Test func missingExperimentFile() throws {
        try expectFailure(["train", "/nonexistent/exp.toml"], status: 64, mentions: ["/nonexistent/exp.toml", "does not exist"])
    }

    @Test func unknownKeyWithSuggestion() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120), extra: "[optimiser]\nname = \"sgd\"")
        try expectFailure(["train", experiment], status: 64, mentions: ["optimiser.name", "did you mean 'optimizer.name'"])
    }

    @Test func wrongValueType() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        try expectFailure(["train", experiment, "--set", "training.epochs=\"many\""], status: 64,
                          mentions: ["training.epochs", "must be an integer"])
    }

    @Test func missingDataFile() throws {
        let experiment = try writeExperiment(data: "/nonexistent/data.h5")
        try expectFailure(["train", experiment], status: 65, mentions: ["/nonexistent/data.h5", "shardtrain import"])
    }

    @Test func dataFileThatIsNotHDF5() throws {
        let path = temporaryPath("text.h5")
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        try expectFailure(["train", try writeExperiment(data: path)], status: 65, mentions: [path, "not a readable HDF5 file"])
    }

    @Test func truncatedDataFile() throws {
        let path = try writeBlobs(trainRows: 3000, testRows: 3000)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        try expectFailure(["train", try writeExperiment(data: path)], status: 65, mentions: [path])
    }

    @Test func missingFeaturesOrLabels() throws {
        let noY = try writeBlobs { group, _ in
            try group.createDataset("x", shape: [2, 4], values: [Float](repeating: 0, count: 8))
        }
        try expectFailure(["train", try writeExperiment(data: noY)], status: 65, mentions: ["/train/y"])
        let noX = try writeBlobs { group, _ in try group.createDataset("y", shape: [2], values: [Int32(0), 1]) }
        try expectFailure(["train", try writeExperiment(data: noX)], status: 65, mentions: ["/train/x"])
    }

    @Test func featuresThatDoNotMatchTheModel() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let folder = temporaryPath("cwd")
        let train = try shardtrain(["train", experiment, "--json", "--quiet"], in: folder)
        let modelFile = (try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as! [String: Any])["model_file"] as! String
        let wide = try writeBlobs { group, _ in
            try group.createDataset("x", shape: [2, 5], values: [Float](repeating: 0, count: 10))
            try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        }
        try expectFailure(["eval", modelFile, "--data", wide], status: 65, mentions: ["5 columns", "expects 4"], in: folder)
    }

    @Test func labelsOutsideTheClasses() throws {
        let path = try writeBlobs { group, split in
            try group.createDataset("x", shape: [3, 4], values: [Float](repeating: 0, count: 12))
            try group.createDataset("y", shape: [3], values: [Int32(0), 1, split == "test" ? 7 : 2])
        }
        try expectFailure(["train", try writeExperiment(data: path, extra: "")], status: 65,
                          mentions: ["/test/y", "label 7", "[0, 3)"])
    }

    @Test func nanInFeatures() throws {
        let path = try writeBlobs { group, _ in
            try group.createDataset("x", shape: [2, 4], values: [0, 0, 0, 0, 0, Float.nan, 0, 0])
            try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        }
        try expectFailure(["train", try writeExperiment(data: path)], status: 65, mentions: ["nan", "row 1, column 1"])
    }

    @Test func batchSizeZeroOrLargerThanTheSplit() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        try expectFailure(["train", experiment, "--set", "training.batch_size=0"], status: 64, mentions: ["training.batch_size"])
        try expectFailure(["train", experiment, "--set", "training.batch_size=121"], status: 64,
                          mentions: ["training.batch_size", "120 rows"])
    }

    @Test func divergenceExitsOne() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        let run = try shardtrain(["train", experiment, "--quiet", "--set", "optimizer.learning_rate=1e30",
                                  "--set", "model.loss=\"mse\""])
        #expect(run.status == 1)
        #expect(run.stderr.contains("diverged") && run.stderr.contains("at step"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try shardtrain(["train"]).status == 64)
        #expect(try shardtrain(["frobnicate"]).status == 64)
    }

    @Test func importFromAMissingFolder() throws {
        try expectFailure(["import", "fashion-mnist", "--from", "/nonexistent/idx", "--out", temporaryPath("f.h5")],
                          status: 65, mentions: ["/nonexistent/idx", "dataset-fashion-mnist"])
    }
}
