import Foundation
import ShardTestSupport
import Testing
@testable import ShardNetwork
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

struct ExperimentLoaderTests {
    func load(_ text: String, overrides: [String] = []) throws -> Experiment {
        try ExperimentLoader.load(text: text, name: "test", source: "test.toml", overrides: overrides)
    }

    @Test func defaultsAndFileValues() throws {
        let experiment = try load("""
            [model]
            hidden = [64, 32]
            activation = "tanh"
            [optimizer]
            name = "momentum"
            learning_rate = 1   # an integer where a number is expected is fine
            [training]
            epochs = 3
            """)
        #expect(experiment.hidden == [64, 32])
        #expect(experiment.activation == .tanh)
        #expect(experiment.learningRate == 1)
        #expect(experiment.optimizer.kind == .momentum && experiment.optimizer.momentum == 0.9)
        #expect(experiment.epochs == 3 && experiment.batchSize == 128)
        #expect(experiment.dataPath == "datasets/fashion-mnist.h5")
        #expect(experiment.modelPath(runDirectory: nil) == "runs/test/model.h5")
        #expect(experiment.modelPath(runDirectory: "elsewhere") == "elsewhere/model.h5")
    }

    @Test func overridesUseTOMLValuesAndBareWords() throws {
        let experiment = try load("", overrides: [
            "model.hidden=[16]", "model.activation=sigmoid", "optimizer.learning_rate=0.01",
            "data.path=\"other.h5\"", "training.batch_size = 7",
        ])
        #expect(experiment.hidden == [16])
        #expect(experiment.activation == .sigmoid)
        #expect(experiment.learningRate == 0.01)
        #expect(experiment.dataPath == "other.h5")
        #expect(experiment.batchSize == 7)
    }

    @Test func unknownKeysSuggestTheRightOne() {
        #expect(throws: ExperimentError.unknownKey(source: "test.toml", key: "training.learning_rate", suggestion: "optimizer.learning_rate")) {
            try load("[training]\nlearning_rate = 0.1")
        }
        #expect(throws: ExperimentError.unknownKey(source: "test.toml", key: "model.hiden", suggestion: "model.hidden")) {
            try load("[model]\nhiden = [3]")
        }
        #expect(throws: ExperimentError.unknownKey(source: "--set", key: "trainig.epochs", suggestion: "training.epochs")) {
            try load("", overrides: ["trainig.epochs=3"])
        }
    }

    @Test func wrongTypesAndInvalidValues() {
        #expect(throws: ExperimentError.self) { try load("[training]\nepochs = \"ten\"") }
        #expect(throws: ExperimentError.self) { try load("[model]\nhidden = [64, \"x\"]") }
        #expect(throws: ExperimentError.self) { try load("[model]\nactivation = \"softplus\"") }
        #expect(throws: ExperimentError.self) { try load("[training]\nbatch_size = 0") }
        #expect(throws: ExperimentError.self) { try load("[optimizer]\nlearning_rate = -1") }
        #expect(throws: ExperimentError.self) { try load("[training\nepochs = 1") }
        #expect(throws: ExperimentError.self) { try load("", overrides: ["epochs"]) }
    }

    @Test func messagesAreOneLineAndNameTheKey() {
        do {
            _ = try load("[training]\nepochs = \"ten\"")
        } catch {
            #expect("\(error)" == "test.toml: 'training.epochs' must be an integer, found a string (\"ten\")")
        }
    }

    @Test func resolvedTOMLLoadsBackToTheSameExperiment() throws {
        let experiment = try load("[model]\nhidden = [5]\n[data]\npath = \"a \\\"quoted\\\" path.h5\"",
                                  overrides: ["optimizer.name=adamw", "schedule.name=cosine"])
        let again = try load(experiment.resolvedTOML)
        #expect(again.values == experiment.values)
    }

    @Test func everyShippedExperimentLoads() throws {
        let folder = "\(repositoryRoot)/experiments"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".toml") }
        #expect(files.count >= 4)
        for file in files {
            let experiment = try ExperimentLoader.load(path: "\(folder)/\(file)")
            #expect(experiment.name == String(file.dropLast(5)))
        }
    }
}
