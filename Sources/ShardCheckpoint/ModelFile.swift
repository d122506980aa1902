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
        var metrics = ["train_loss": record.trainLoss]
        for (name, value) in [("validation_loss", record.validationLoss), ("validation_accuracy", record.validationAccuracy),
                              ("test_loss", record.testLoss), ("test_accuracy", record.testAccuracy)] {
            if let value { metrics[name] = value }
        }
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

    /// Reads and verifies a model file or a checkpoint (whose checksum is then verified too):
    /// its format and version, its architecture, every weight's shape, and that every weight
    /// is finite. Any problem is a `badModelFile` (or `badCheckpoint`) naming the file.
    public static func read(from path: String) throws(CheckpointError) -> ModelFile {
        if let problem = fileProblem(path) { throw .badModelFile(path: path, reason: "it \(problem)") }
        let format: String?
        do {
            let root = try HDF5File.open(path).root
            format = root.hasAttribute("format") ? try? root.stringAttribute("format") : nil
            if format == Self.format { return try read(root: root, path: path) }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .badModelFile(path: path, reason: "\(error)")
        }
        guard format == Checkpoint.format else {
            throw .badModelFile(path: path, reason: "no 'format' attribute \"\(Self.format)\" at the root; was it written by `shardtrain train`?")
        }
        return try Checkpoint.read(from: path).model
    }

    /// The largest layer width a model file may declare (a crafted file must not make the
    /// reader allocate without bound).
    static let maximumWidth = 1 << 24

    /// The model in an open file's root (checkpoints read theirs this way too).
    static func read(root: HDF5Group, path: String) throws -> ModelFile {
        func attribute(_ name: String) throws(CheckpointError) -> String {
            guard root.hasAttribute(name), let value = try? root.stringAttribute(name) else {
                throw .badModelFile(path: path, reason: "the root attribute '\(name)' is missing or not a string")
            }
            return value
        }
        let version = root.hasAttribute("version") ? try? root.integerAttribute("version") : nil
        let format = try attribute("format")
        guard format == Self.format || format == Checkpoint.format else {
            throw CheckpointError.badModelFile(path: path, reason: "its 'format' attribute is \"\(format)\", not \"\(Self.format)\"; was it written by `shardtrain train`?")
        }
        // A checkpoint's root carries the checkpoint format's version.
        let readable = format == Checkpoint.format ? Checkpoint.readableVersions : Self.version...Self.version
        guard let version, readable.contains(version) else {
            throw CheckpointError.badModelFile(path: path, reason: "format version \(version.map(String.init) ?? "missing"); this ShardTrain reads version \(readable.upperBound)\(readable.count > 1 ? " and earlier" : "")")
        }
        guard root.hasAttribute("layer_sizes"), let sizes = try? root.integerArrayAttribute("layer_sizes").map(Int.init) else {
            throw CheckpointError.badModelFile(path: path, reason: "the root attribute 'layer_sizes' is missing or not integers")
        }
        guard sizes.count >= 2, sizes.allSatisfy({ (1...maximumWidth).contains($0) }) else {
            throw CheckpointError.badModelFile(path: path, reason: "'layer_sizes' \(sizes) needs at least two widths, each 1 ... \(maximumWidth)")
        }
        let hiddenName = try attribute("hidden_activation"), outputName = try attribute("output_activation")
        let lossName = try attribute("loss")
        guard let hidden = Activation(rawValue: hiddenName) else {
            throw CheckpointError.badModelFile(path: path, reason: "'hidden_activation' is \"\(hiddenName)\", not one of \(Activation.allCases.map(\.rawValue))")
        }
        guard let output = Activation(rawValue: outputName) else {
            throw CheckpointError.badModelFile(path: path, reason: "'output_activation' is \"\(outputName)\", not one of \(Activation.allCases.map(\.rawValue))")
        }
        guard let loss = Loss(rawValue: lossName) else {
            throw CheckpointError.badModelFile(path: path, reason: "'loss' is \"\(lossName)\", not one of \(Loss.allCases.map(\.rawValue))")
        }
        // The parameter count without overflow, and within the machine, before allocating it.
        guard let count = ParameterLayout.parameterCount(layerSizes: sizes) else {
            throw CheckpointError.badModelFile(path: path, reason: "'layer_sizes' \(sizes) describe more parameters than memory can hold")
        }
        guard let bytes = Memory.bytes(count, each: 4), bytes <= Memory.physicalBytes / 2 else {
            throw CheckpointError.badModelFile(path: path, reason: "'layer_sizes' \(sizes) describe \(count) parameters, more than this machine's memory can hold")
        }
        let network = Network(layerSizes: sizes, hiddenActivation: hidden, loss: loss, outputActivation: output)
        let parameters = FloatBuffer(count: network.parameterCount)
        try readParameters(from: try root.group("model"), layout: network.layout, into: parameters, path: path)
        if let index = (0..<parameters.count).first(where: { !parameters[$0].isFinite }),
           let entry = network.layout.entries.first(where: { $0.range.contains(index) }) {
            throw CheckpointError.badModelFile(path: path, reason: "/model/\(entry.layer)/\(entry.kind) holds \(parameters[index]) at element \(index - entry.offset); a model's weights must be finite")
        }
        let classNames = root.hasAttribute("classes") ? try root.stringArrayAttribute("classes") : nil
        return ModelFile(network: network, parameters: parameters,
                         experimentTOML: (try? root.stringAttribute("experiment")) ?? "",
                         classNames: classNames,
                         experimentName: (try? root.stringAttribute("experiment_name")) ?? "model")
    }
}
