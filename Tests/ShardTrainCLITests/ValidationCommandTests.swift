import Foundation
import ShardCheckpoint
import ShardHDF5
import ShardTestSupport
import Testing

/// Validation data, selection by it, early stopping and dropout, through the real binary.
struct ValidationCommandTests {
    @Test func aRunWithValidationDataReportsAndKeepsTheBestEpoch() throws {
        let runDirectory = temporaryPath("validation")
        let experiment = try writeExperiment(
            data: try writeBlobs(trainRows: 120),
            extra: "monitor = \"validation_accuracy\"\nearly_stopping_patience = 1")
        let run = try shardtrain(["train", experiment, "--run-dir", runDirectory, "--json", "--set", "training.epochs=6",
                                  "--set", "data.validation_fraction=0.25", "--set", "model.dropout=0.2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("90 train / 30 validation / 90 test samples"))
        let epochLines = run.stderrLines.filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.allSatisfy { $0.contains("val loss ") })
        #expect(epochLines.first?.contains(" *") == true)  // the first epoch is the best so far

        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/summary.json"))) as! [String: Any]
        for report in [json, summary] {
            let best = try #require(report["best"] as? [String: Any])
            #expect(report["best_epoch"] as? Int == best["epoch"] as? Int)
            #expect(best["validation_accuracy"] != nil)
            #expect(report["stopped_early"] as? Bool != nil)
            // The reported test figures are those of the model file, the best epoch's weights.
            #expect(report["test_accuracy"] as? Double == best["test_accuracy"] as? Double)
        }
        let csv = try String(contentsOfFile: "\(runDirectory)/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,validation_loss,validation_accuracy")
        #expect(csv.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 9 })
        let evaluation = try shardtrain(["eval", "\(runDirectory)/model.h5", "--json"])
        let result = try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as! [String: Any]
        #expect(result["accuracy"] as? Double == json["test_accuracy"] as? Double)
        #expect(try String(contentsOfFile: "\(runDirectory)/curves.svg", encoding: .utf8).contains("validation"))
    }

    func expectFailure(_ arguments: [String], status: Int32, mentions: [String]) throws {
        let run = try shardtrain(arguments)
        #expect(run.status == status, "exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("shardtrain: error: "))
        for text in mentions { #expect(run.stderr.contains(text), "\(run.stderr) should mention \(text)") }
    }

    @Test func badValuesAreOneLineErrorsWithTheirExitCodes() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120))
        for (setting, key) in [("model.dropout=1", "model.dropout"), ("model.dropout=-0.5", "model.dropout"),
                               ("model.dropout=[0.1,0.2]", "model.dropout"),
                               ("data.validation_fraction=1.0", "data.validation_fraction"),
                               ("training.monitor=val_acc", "training.monitor"),
                               ("training.monitor=test_accuracy", "training.monitor"),
                               ("training.early_stopping_patience=2", "training.early_stopping_patience")] {
            try expectFailure(["train", experiment, "--set", setting], status: 64, mentions: [key])
        }
        try expectFailure(["train", experiment, "--set", "data.validation_fraction=0.9999"], status: 65,
                          mentions: ["no rows to train on"])
        try expectFailure(["train", experiment, "--set", "data.validation_split=validation"], status: 65,
                          mentions: ["/validation"])
        let narrow = try writeBlobs(trainRows: 120)
        let file = try HDF5File.open(narrow, mode: .readWrite)
        let group = try file.root.createGroup("validation")
        try group.createDataset("x", shape: [2, 3], values: [Float](repeating: 0, count: 6))
        try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        try file.close()
        try expectFailure(["train", try writeExperiment(data: narrow), "--set", "data.validation_split=validation"],
                          status: 65, mentions: ["/validation/x", "3 columns"])
    }
}

/// sweep.py names its winner by the monitored validation metric, never by a test figure.
struct SweepWinnerTests {
    @Test func theWinnerIsTheBestByValidation() throws {
        let experiment = try writeExperiment(data: try writeBlobs(trainRows: 120), extra: "monitor = \"validation_loss\"")
        let out = temporaryPath("sweep-winner")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(repositoryRoot)/scripts/sweep.py", experiment, "optimizer.learning_rate=0.1,0.001",
                             "--out", out, "--", "--set", "training.epochs=2", "--set", "data.validation_fraction=0.25"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SHARDTRAIN": shardtrainBinary]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let csv = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = csv[0]
        let rows = csv.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        #expect(rows.count == 2)
        let winners = rows.filter { $0["winner"] == "*" }
        #expect(winners.count == 1)
        let losses = rows.compactMap { Double($0["best_validation_loss"] ?? "") }
        #expect(losses.count == 2 && Double(winners.first?["best_validation_loss"] ?? "") == losses.min())
    }
}
