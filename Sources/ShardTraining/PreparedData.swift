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
        let path = experiment.dataPath
        guard test.width == train.width else {
            throw DataError.widthMismatch(file: path, object: "/\(test.name)/\(experiment.featuresName)",
                                          found: test.width, expected: train.width,
                                          what: "the train split")
        }
        let classNames = file.classNames(split: experiment.trainSplit)
        switch (train.targets, test.targets) {
        case (.labels(let trainLabels), .labels(let testLabels)):
            let classCount = classNames?.count ?? Int(trainLabels.max()!) + 1
            for (split, labels) in [(train, trainLabels), (test, testLabels)] {
                if let row = labels.firstIndex(where: { Int($0) >= classCount }) {
                    throw DataError.labelOutOfRange(
                        file: path, object: "/\(split.name)/\(experiment.targetsName)", row: row,
                        label: Int64(labels[row]), classCount: classCount)
                }
            }
            return PreparedData(train: train, test: test, outputWidth: classCount, classNames: classNames)
        case (.values(_, let trainWidth), .values(_, let testWidth)):
            guard trainWidth == testWidth else {
                throw DataError.widthMismatch(file: path, object: "/\(test.name)/\(experiment.targetsName)",
                                              found: testWidth, expected: trainWidth, what: "the train split")
            }
            return PreparedData(train: train, test: test, outputWidth: trainWidth, classNames: nil)
        default:
            throw DataError.unsupportedType(
                file: path, object: "/\(test.name)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
    }

    /// The network the experiment describes for this data.
    public func network(for experiment: Experiment) -> Network {
        Network(layerSizes: [train.width] + experiment.hidden + [outputWidth],
                hiddenActivation: experiment.activation, loss: experiment.loss,
                outputActivation: experiment.outputActivation)
    }
}
