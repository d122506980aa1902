import Foundation
import ShardCore
import ShardHDF5
import ShardNetwork

/// A trained model in HDF5: `/model/<layer>/weight` [inputs x outputs] and
/// `/model/<layer>/bias` (float32), with root attributes describing the architecture and the
/// resolved experiment (docs/model-file.md). The checkpoint format extends this layout.
public struct ModelFile {
    public static let format = "shardtrain-model"
    public static let version: Int64 = 1

    public var network: Network
    public var parameters: FloatBuffer
    /// The resolved experiment (TOML) the model was trained with.
    public var experimentTOML: String
    public var classNames: [String]?
    /// The experiment's name (its file name without .toml).
    public var experimentName: String

    public init(network: Network, parameters: FloatBuffer, experimentTOML: String,
                classNames: [String]?, experimentName: String) {
        self.network = network
        self.parameters = parameters
        self.experimentTOML = experimentTOML
        self.classNames = classNames
        self.experimentName = experimentName
    }

    /// The root attributes that record a model's figures: its epoch's losses and accuracy.
    public static func metrics(of record: EpochRecord) -> [String: Double] {
        var metrics = ["test_loss": record.testLoss, "train_loss": record.trainLoss]
        if let accuracy = record.testAccuracy { metrics["test_accuracy"] = accuracy }
        return metrics
    }

    /// Writes atomically (AtomicFile): a crash never leaves a half-written model under `path`.
    public func write(to path: String, metrics: [String: Double] = [:]) throws(CheckpointError) {
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File.create(temporary)
            try write(into: file.root, metrics: metrics)
            try file.close()
        }
    }

    /// The model's attributes and `/model` group, into `root` (checkpoints start the same way).
    func write(into root: HDF5Group, metrics: [String: Double], format: String = Self.format) throws {
        try root.setAttribute("format", format)
        try root.setAttribute("version", Self.version)
        try root.setAttribute("layer_sizes", network.layerSizes.map(Int64.init))
        try root.setAttribute("hidden_activation", network.hiddenActivation.rawValue)
        try root.setAttribute("output_activation", network.outputActivation.rawValue)
        try root.setAttribute("loss", network.loss.rawValue)
        try root.setAttribute("experiment", experimentTOML)
        try root.setAttribute("experiment_name", experimentName)
        if let classNames { try root.setAttribute("classes", classNames) }
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            try root.setAttribute(name, value)
        }
        try Self.writeParameters(parameters, layout: network.layout, into: try root.createGroup("model"))
    }

    /// A flat buffer laid out by `layout` as one dataset per entry, `<layer>/<kind>` under
    /// `group` (the model's weights, and each optimizer slot of a checkpoint).
    static func writeParameters(_ values: FloatBuffer, layout: ParameterLayout, into group: HDF5Group) throws {
        for entry in layout.entries {
            let layer = try group.groupCreatingIfNeeded(entry.layer)
            let slice = UnsafeBufferPointer(start: values.pointer + entry.offset, count: entry.count)
            try layer.createDataset(entry.kind, shape: entry.shape, values: slice)
        }
    }

    /// The inverse of `writeParameters`: every entry's dataset must exist with its shape.
    static func readParameters(from group: HDF5Group, layout: ParameterLayout, into values: FloatBuffer,
                               path: String) throws {
        for entry in layout.entries {
            let dataset = try group.group(entry.layer).dataset(entry.kind)
            let shape = try dataset.shape
            guard shape == entry.shape else {
                throw HDF5Error.shapeMismatch(file: path, object: dataset.path,
                                              expected: "\(entry.shape)", found: "\(shape)")
            }
            try dataset.read(into: UnsafeMutableBufferPointer(start: values.pointer + entry.offset, count: entry.count))
        }
    }

    public static func read(from path: String) throws -> ModelFile {
        try read(root: try HDF5File.open(path).root, path: path)
    }

    /// The model in an open file's root (checkpoints read theirs this way too).
    static func read(root: HDF5Group, path: String) throws -> ModelFile {
        guard root.hasAttribute("format"),
              let format = try? root.stringAttribute("format"),
              format == Self.format || format == "shardtrain-checkpoint"
        else {
            throw CheckpointError.badModelFile(path: path, reason: "no 'format' attribute \"\(Self.format)\" at the root; was it written by `shardtrain train`?")
        }
        let sizes = try root.integerArrayAttribute("layer_sizes").map(Int.init)
        guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }),
              let hidden = Activation(rawValue: try root.stringAttribute("hidden_activation")),
              let output = Activation(rawValue: try root.stringAttribute("output_activation")),
              let loss = Loss(rawValue: try root.stringAttribute("loss"))
        else {
            throw CheckpointError.badModelFile(path: path, reason: "the architecture attributes are missing or invalid")
        }
        let network = Network(layerSizes: sizes, hiddenActivation: hidden, loss: loss, outputActivation: output)
        let parameters = FloatBuffer(count: network.parameterCount)
        try readParameters(from: try root.group("model"), layout: network.layout, into: parameters, path: path)
        let classNames = root.hasAttribute("classes") ? try root.stringArrayAttribute("classes") : nil
        return ModelFile(network: network, parameters: parameters,
                         experimentTOML: (try? root.stringAttribute("experiment")) ?? "",
                         classNames: classNames,
                         experimentName: (try? root.stringAttribute("experiment_name")) ?? "model")
    }
}
