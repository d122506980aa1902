import ShardConfig
import ShardCore
import ShardData
import ShardNetwork

/// The train, validation and test splits of an experiment, loaded and checked against each
/// other: the same feature width, label ranges within the class count, targets the loss can
/// use. With `data.validation_fraction`, `train` is the train split without its held-out rows
/// and `validation` those rows (copied out: the train split takes twice its memory while
/// loading).
public struct PreparedData: Sendable {
    public let train: DataSplit
    /// nil without validation data.
    public let validation: DataSplit?
    public let test: DataSplit
    /// With `data.validation_fraction`: the rows of the file's train split held out, ascending.
    public let heldOutRows: [Int]?
    /// Classes for labelled data (from the `classes` attribute, else the largest train label
    /// + 1); the target width for float targets.
    public let outputWidth: Int
    public let classNames: [String]?
    public var isClassification: Bool { train.labels != nil }
    /// The most classes inferred from labels alone (without a `classes` attribute).
    static let maximumInferredClasses = 1 << 20

    public static func load(_ experiment: Experiment) throws(DataError) -> PreparedData {
        let file = try DatasetFile(path: experiment.dataPath)
        func load(_ split: String) throws(DataError) -> DataSplit {
            try file.load(split: split, features: experiment.featuresName, targets: experiment.targetsName)
        }
        var train = try load(experiment.trainSplit)
        let test = try load(experiment.testSplit)
        var validation = experiment.validationSplit.isEmpty ? nil : try load(experiment.validationSplit)
        let classNames = file.classNames(split: experiment.trainSplit)
        let outputWidth: Int
        switch (train.targets, test.targets) {
        case (.labels(let labels), .labels):
            let largest = Int(labels.max() ?? 0)
            // Without a `classes` attribute the class count is the largest label + 1: a stray
            // huge label would ask for a network too large to allocate.
            guard classNames != nil || largest < Self.maximumInferredClasses else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.name)/\(experiment.targetsName)",
                    problem: "has label \(largest), which would mean \(largest + 1) classes; labels must be class indices 0..<classes (set a 'classes' attribute if there really are that many)")
            }
            outputWidth = classNames?.count ?? largest + 1
        case (.values(_, let width), .values):
            guard experiment.loss != .crossEntropy else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.name)/\(experiment.targetsName)",
                    problem: "holds float targets, and cross-entropy needs integer class labels; store the labels as integers, or set model.loss = \"mse\" for regression")
            }
            outputWidth = width
        default:
            throw DataError.unsupportedType(
                file: experiment.dataPath, object: "/\(test.name)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
        if let validation, (validation.labels == nil) != (train.labels == nil) {
            throw DataError.unsupportedType(
                file: experiment.dataPath, object: "/\(validation.name)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
        for split in [train, test] + (validation.map { [$0] } ?? []) {
            try split.checkFits(inputWidth: train.width, outputWidth: outputWidth, file: experiment.dataPath,
                                features: experiment.featuresName, targets: experiment.targetsName,
                                what: "the train split")
        }
        // Held out after the checks, so the class count comes from the whole train split.
        var heldOutRows: [Int]?
        if experiment.validationFraction > 0 {
            let rowCount = train.rowCount
            let held = HeldOutRows.rows(rowCount: rowCount, fraction: experiment.validationFraction,
                                        seed: experiment.seed)
            guard !held.isEmpty, held.count < rowCount else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.name)",
                    problem: "has \(rowCount) rows, of which data.validation_fraction = \(experiment.validationFraction) holds out \(held.count): \(held.isEmpty ? "no validation rows" : "no rows to train on"); choose a fraction that leaves rows on both sides, or give data.validation_split")
            }
            validation = train.selecting(rows: held, name: "\(experiment.trainSplit) (held out)")
            train = train.selecting(rows: HeldOutRows.complement(of: held, rowCount: rowCount),
                                    name: experiment.trainSplit)
            heldOutRows = held
        }
        return PreparedData(train: train, validation: validation, test: test, heldOutRows: heldOutRows,
                            outputWidth: outputWidth, classNames: train.labels == nil ? nil : classNames)
    }

    /// The network the experiment describes for this data.
    public func network(for experiment: Experiment) -> Network {
        Network(layerSizes: [train.width] + experiment.hidden + [outputWidth],
                hiddenActivation: experiment.activation, loss: experiment.loss,
                outputActivation: experiment.outputActivation)
    }
}
