import ShardConfig
import ShardData
import ShardNetwork

/// The train and test splits of an experiment, loaded and checked against each other: the
/// same feature width, label ranges within the class count, targets the loss can use.
public struct PreparedData: Sendable {
    public let train: DataSplit
    public let test: DataSplit
    /// Classes for labelled data (from the `classes` attribute, else the largest train label
    /// + 1); the target width for float targets.
    public let outputWidth: Int
    public let classNames: [String]?
    public var isClassification: Bool { train.labels != nil }

    public static func load(_ experiment: Experiment) throws(DataError) -> PreparedData {
        let file = try DatasetFile(path: experiment.dataPath)
        let train = try file.load(split: experiment.trainSplit, features: experiment.featuresName,
                                  targets: experiment.targetsName)
        let test = try file.load(split: experiment.testSplit, features: experiment.featuresName,
                                 targets: experiment.targetsName)
        let classNames = file.classNames(split: experiment.trainSplit)
        let outputWidth: Int
        switch (train.targets, test.targets) {
        case (.labels(let labels), .labels):
            outputWidth = classNames?.count ?? Int(labels.max()!) + 1
        case (.values(_, let width), .values):
            outputWidth = width
        default:
            throw DataError.unsupportedType(
                file: experiment.dataPath, object: "/\(test.name)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
        for split in [train, test] {
            try split.checkFits(inputWidth: train.width, outputWidth: outputWidth, file: experiment.dataPath,
                                features: experiment.featuresName, targets: experiment.targetsName,
                                what: "the train split")
        }
        return PreparedData(train: train, test: test, outputWidth: outputWidth,
                            classNames: train.labels == nil ? nil : classNames)
    }

    /// The network the experiment describes for this data.
    public func network(for experiment: Experiment) -> Network {
        Network(layerSizes: [train.width] + experiment.hidden + [outputWidth],
                hiddenActivation: experiment.activation, loss: experiment.loss,
                outputActivation: experiment.outputActivation)
    }
}
