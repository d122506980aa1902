import ShardConfig
import ShardCore
import ShardData
import ShardNetwork

/// The train, validation and test splits of an experiment, checked against each other (the
/// same feature width, label ranges within the class count, targets the loss can use), either
/// loaded into memory or left in the file to be streamed (`data.loading`, datasets/README.md).
/// The epoch order is the same either way, so the weights are too. With
/// `data.validation_fraction`, `train` is the train split without its held-out rows and
/// `validation` those rows, each a subset of the file's train group (`SplitLayout.fileRows`)
/// that is loaded or streamed alone.
public struct PreparedData: Sendable {
    public enum Loading: String, Sendable { case memory, stream }

    /// What each split holds (rows, width, kinds, blocks).
    public let train: SplitLayout
    /// nil without validation data.
    public let validation: SplitLayout?
    public let test: SplitLayout
    /// Memory loading: the splits themselves.
    public let trainSplit: DataSplit?
    public let validationSplit: DataSplit?
    public let testSplit: DataSplit?
    /// With `data.validation_fraction`: the rows of the file's train split held out, ascending.
    public let heldOutRows: [Int]?
    public let file: DatasetFile
    public let loading: Loading
    /// Classes for labelled data (from the `classes` attribute, else the largest train label
    /// + 1); the target width for float targets.
    public let outputWidth: Int
    public let classNames: [String]?
    public var isClassification: Bool { train.isLabelled }
    /// When loading began (the time to the first step counts from it).
    public var loadStarted: ContinuousClock.Instant?
    /// The most classes inferred from labels alone (without a `classes` attribute).
    static let maximumInferredClasses = 1 << 20

    /// `rankCount`: the ranks of an MPI run. On more than one, the train split is always
    /// streamed, each rank reading only the rows of its own micro-shards (`RankRows`); the
    /// evaluated splits follow `data.loading`.
    public static func load(_ experiment: Experiment, rankCount: Int = 1) throws(DataError) -> PreparedData {
        let started = ContinuousClock.now
        let file = try DatasetFile(path: experiment.dataPath)
        func layout(_ split: String) throws(DataError) -> SplitLayout {
            try file.layout(split: split, features: experiment.featuresName, targets: experiment.targetsName)
        }
        var train = try layout(experiment.trainSplit)
        let test = try layout(experiment.testSplit)
        var validation = experiment.validationSplit.isEmpty ? nil : try layout(experiment.validationSplit)
        let classNames = file.classNames(split: experiment.trainSplit)
        let outputWidth: Int
        switch (train.targetWidth, test.targetWidth) {
        case (nil, nil):
            let largest = (train.labelLimit ?? 1) - 1
            // Without a `classes` attribute the class count is the largest label + 1: a stray
            // huge label would ask for a network too large to allocate.
            guard classNames != nil || largest < Self.maximumInferredClasses else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.split)/\(experiment.targetsName)",
                    problem: "has label \(largest), which would mean \(largest + 1) classes; labels must be class indices 0..<classes (set a 'classes' attribute if there really are that many)")
            }
            outputWidth = classNames?.count ?? largest + 1
        case (let width?, _?):
            guard experiment.loss != .crossEntropy else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.split)/\(experiment.targetsName)",
                    problem: "holds float targets, and cross-entropy needs integer class labels; store the labels as integers, or set model.loss = \"mse\" for regression")
            }
            outputWidth = width
        default:
            throw DataError.unsupportedType(
                file: experiment.dataPath, object: "/\(test.split)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
        if let validation, validation.isLabelled != train.isLabelled {
            throw DataError.unsupportedType(
                file: experiment.dataPath, object: "/\(validation.split)/\(experiment.targetsName)",
                found: "a different kind of target than the train split",
                allowed: "the same kind (labels or float targets) in both splits")
        }
        for split in [train, test] + (validation.map { [$0] } ?? []) {
            guard split.width == train.width else {
                throw DataError.widthMismatch(file: experiment.dataPath, object: "/\(split.split)/\(experiment.featuresName)",
                                              found: split.width, expected: train.width, what: "the train split")
            }
            if let limit = split.labelLimit, limit > outputWidth {
                // The first offending row is named by the full check.
                try file.load(split).checkFits(
                    inputWidth: train.width, outputWidth: outputWidth, file: experiment.dataPath,
                    features: experiment.featuresName, targets: experiment.targetsName, what: "the train split")
            }
            if let width = split.targetWidth, width != outputWidth {
                throw DataError.widthMismatch(file: experiment.dataPath, object: "/\(split.split)/\(experiment.targetsName)",
                                              found: width, expected: outputWidth, what: "the train split's output")
            }
        }
        let bytes = [train, test].map(\.memoryBytes).reduce(0, +) + (validation?.memoryBytes ?? 0)
        let loading = Self.loading(experiment, bytes: bytes)
        // An allocation the machine cannot hold aborts the process: refuse it first.
        guard loading == .stream || Memory.fits(bytes) else {
            throw DataError.invalid(
                file: experiment.dataPath, object: "/",
                problem: "needs \(Memory.describe(bytes)) in memory for its splits, more than this machine's \(Memory.describe(Memory.physicalBytes)) allows; stream it with --set data.loading=\"stream\" (or \"auto\")")
        }
        // Held out after the checks, so the class count comes from the whole train split.
        var heldOutRows: [Int]?
        if experiment.validationFraction > 0 {
            let rowCount = train.rowCount
            let held = HeldOutRows.rows(rowCount: rowCount, fraction: experiment.validationFraction,
                                        seed: experiment.seed)
            guard !held.isEmpty, held.count < rowCount else {
                throw DataError.invalid(
                    file: experiment.dataPath, object: "/\(train.split)",
                    problem: "has \(rowCount) rows, of which data.validation_fraction = \(experiment.validationFraction) holds out \(held.count): \(held.isEmpty ? "no validation rows" : "no rows to train on"); choose a fraction that leaves rows on both sides, or give data.validation_split")
            }
            // Both are subsets of the file's train group, read (in memory or streamed) row by
            // row of their own, so neither ever holds the other's rows.
            validation = train.subset(rows: held, name: "\(experiment.trainSplit) (held out)")
            train = train.subset(rows: HeldOutRows.complement(of: held, rowCount: rowCount), name: experiment.trainSplit)
            heldOutRows = held
        }
        let trainSplit = loading == .memory && rankCount == 1 ? try file.load(train) : nil
        let validationSplit = loading == .memory ? try validation.map { (layout) throws(DataError) in try file.load(layout) } : nil
        return PreparedData(
            train: train, validation: validation, test: test, trainSplit: trainSplit, validationSplit: validationSplit,
            testSplit: loading == .memory ? try file.load(test) : nil, heldOutRows: heldOutRows,
            file: file, loading: loading, outputWidth: outputWidth,
            classNames: train.isLabelled ? classNames : nil, loadStarted: started)
    }

    /// `data.loading`, with `auto` resolved against `data.memory_budget_mb`.
    static func loading(_ experiment: Experiment, bytes: Int) -> Loading {
        switch experiment.loading {
        case "memory": return .memory
        case "stream": return .stream
        default: return bytes > experiment.memoryBudgetBytes ? .stream : .memory
        }
    }

    /// The network the experiment describes for this data.
    public func network(for experiment: Experiment) -> Network {
        Network(layerSizes: [train.width] + experiment.hidden + [outputWidth],
                hiddenActivation: experiment.activation, loss: experiment.loss,
                outputActivation: experiment.outputActivation)
    }

    /// The order of every training epoch, over the train rows (without held-out rows).
    public func trainRecipe(_ experiment: Experiment) -> OrderRecipe {
        OrderRecipe(seed: experiment.seed, rowCount: train.rowCount, blockRows: train.blockRows,
                    windowRows: experiment.shuffleWindow, shuffled: true)
    }

    /// A feed of the train split in epoch order, `maxRows` rows at a time, starting (for a
    /// stream, reading ahead from) epoch `epoch` at `position`. `rankRows`: on one of several
    /// ranks, the positions this rank computes, the only rows its stream reads.
    public func trainFeed(_ experiment: Experiment, maxRows: Int, epoch: Int, position: Int,
                          rankRows: RankRows? = nil) throws(DataError) -> RowFeed {
        let recipe = trainRecipe(experiment)
        if let trainSplit { return RowFeed(recipe: recipe, split: trainSplit, maxRows: maxRows) }
        let first = (epoch - 1) * recipe.windowCount + position / recipe.actualWindowRows
        return RowFeed(reader: try StreamingReader(layout: train, file: file, recipe: recipe, maxRows: maxRows,
                                                   labelLimit: outputWidth, firstTicket: first,
                                                   endTicket: experiment.epochs * recipe.windowCount, rows: rankRows),
                       maxRows: maxRows)
    }

    /// A feed of an evaluated split (`test`, or `validation` with its split in memory) in file
    /// order, in windows of about 4 MB.
    public func evaluationFeed(_ layout: SplitLayout, split: DataSplit?, maxRows: Int) throws(DataError) -> RowFeed {
        let blocks = max(1, (4 << 20) / max(1, layout.blockRows * layout.memoryRowBytes))
        let recipe = OrderRecipe(seed: 0, rowCount: layout.rowCount, blockRows: layout.blockRows,
                                 windowRows: blocks * layout.blockRows, shuffled: false)
        if let split { return RowFeed(recipe: recipe, split: split, maxRows: maxRows) }
        return RowFeed(reader: try StreamingReader(layout: layout, file: file, recipe: recipe, maxRows: maxRows,
                                                   labelLimit: outputWidth),
                       maxRows: maxRows)
    }
}
