import Foundation
import ShardCore
import ShardHDF5
import ShardNetwork

/// A checkpoint: the model file's layout plus the optimizer's state, the training position and
/// the metrics history, with a checksum over all of it (docs/checkpoint-format.md).
public struct Checkpoint {
    public static let format = "shardtrain-checkpoint"
    /// Version 2 added the validation columns of `/metrics` and `/best_model`; a version 1
    /// file (a run without validation data) reads as one without them. Version 3 dropped the
    /// epoch's order table (`/training/order`: the order is `EpochOrder`'s function of the
    /// epoch) and added `train_rows` and `block_rows`; versions 1 and 2 still resume
    /// (docs/checkpoint-format.md).
    public static let version: Int64 = 3
    public static let readableVersions: ClosedRange<Int64> = 1...3

    public var model: ModelFile
    public var optimizerName: String
    public var optimizerSteps: Int
    /// Optimizer state buffers by slot name (`velocity`, `first_moment`, ...), laid out like
    /// the parameters.
    public var slots: [(name: String, values: FloatBuffer)]
    public var state: TrainingState
    /// With validation data: the weights of the best epoch so far (`ModelSelection`), which the
    /// model file gets when the run ends, however it ends. Laid out like the parameters.
    public var bestParameters: FloatBuffer?

    public init(model: ModelFile, optimizerName: String, optimizerSteps: Int,
                slots: [(name: String, values: FloatBuffer)], state: TrainingState,
                bestParameters: FloatBuffer? = nil) {
        self.model = model
        self.optimizerName = optimizerName
        self.optimizerSteps = optimizerSteps
        self.slots = slots
        self.state = state
        self.bestParameters = bestParameters
    }

    /// The figures of the weights this checkpoint holds: the last epoch's, when it was taken at
    /// that epoch's end; nil mid-epoch (those weights were never evaluated).
    public var evaluatedRecord: EpochRecord? {
        guard state.position == 0, let last = state.history.last, last.step == state.step else { return nil }
        return last
    }

    // MARK: Writing

    public func write(to path: String) throws(CheckpointError) {
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File.create(temporary)
            let root = file.root
            try model.write(into: root, metrics: evaluatedRecord.map(ModelFile.metrics(of:)) ?? [:],
                            format: Self.format)
            try root.setAttribute("version", Self.version)
            try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
            try root.setAttribute("shardtrain_version", ShardTrainVersion.string)

            let optimizer = try root.createGroup("optimizer")
            try optimizer.setAttribute("name", optimizerName)
            try optimizer.setAttribute("step_count", Int64(optimizerSteps))
            for (name, values) in slots {
                try ModelFile.writeParameters(values, layout: model.network.layout,
                                              into: try optimizer.createGroup(name))
            }
            if let bestParameters {
                try ModelFile.writeParameters(bestParameters, layout: model.network.layout,
                                              into: try root.createGroup("best_model"))
            }

            let training = try root.createGroup("training")
            for (name, value) in integerValues { try training.setAttribute(name, value) }
            for (name, value) in realValues { try training.setAttribute(name, value) }
            try training.setAttribute("rng_state", state.generatorState.map { Int64(bitPattern: $0) })
            if let order = state.legacyOrder {
                try training.createDataset("legacy_order", shape: [order.count], values: order.map(Int64.init))
            }

            let history = try root.createGroup("metrics")
            for (name, column) in historyValues {
                try history.createDataset(name, shape: [column.count], values: column)
            }
            try root.setAttribute("checksum", Int64(bitPattern: checksum()))
            try file.close()
        }
    }

    /// The training position's scalar fields, as stored in `/training` attributes: one table
    /// that writing, reading and the checksum all walk, so the three cannot drift apart.
    static let integerFields: [(name: String, field: WritableKeyPath<TrainingState, Int> & Sendable)] = [
        ("epoch", \.epoch), ("position", \.position), ("step", \.step), ("epoch_correct", \.epochCorrect),
        ("train_rows", \.trainRows), ("block_rows", \.blockRows),
    ]
    static let realFields: [(name: String, field: WritableKeyPath<TrainingState, Double> & Sendable)] = [
        ("epoch_loss_sum", \.epochLossSum), ("training_seconds", \.trainingSeconds),
        ("wall_seconds", \.wallSeconds),
    ]

    /// `/training`'s integer attributes with their values (`samples_seen` is written for
    /// readers, and derived from the others when read back).
    private var integerValues: [(String, Int64)] {
        [(Self.integerFields[0].name, Int64(state.epoch)), (Self.integerFields[1].name, Int64(state.position)),
         (Self.integerFields[2].name, Int64(state.step)), ("samples_seen", Int64(state.samplesSeen)),
         (Self.integerFields[3].name, Int64(state.epochCorrect)),
         (Self.integerFields[4].name, Int64(state.trainRows)), (Self.integerFields[5].name, Int64(state.blockRows))]
    }

    private var realValues: [(String, Double)] {
        Self.realFields.map { ($0.name, state[keyPath: $0.field]) }
    }

    /// The history's columns in `/metrics`, with how each is read from and written to a record
    /// (a figure not measured is stored as NaN). The `validation` columns are written only when
    /// some epoch has validation figures, so a run without validation data writes the columns
    /// of version 1; a reader takes a missing one as NaN. `isCount`: the column holds whole
    /// numbers (epochs, steps), which a reader checks are counts before converting them.
    static let historyColumns: [(name: String, validation: Bool, isCount: Bool, get: @Sendable (EpochRecord) -> Double,
                                 set: @Sendable (inout EpochRecord, Double) -> Void)] = [
        ("epoch", false, true, { Double($0.epoch) }, { $0.epoch = Int(exactly: $1) ?? -1 }),
        ("step", false, true, { Double($0.step) }, { $0.step = Int(exactly: $1) ?? -1 }),
        ("train_loss", false, false, { $0.trainLoss }, { $0.trainLoss = $1 }),
        ("train_accuracy", false, false, { $0.trainAccuracy ?? .nan }, { $0.trainAccuracy = $1.isNaN ? nil : $1 }),
        ("test_loss", false, false, { $0.testLoss ?? .nan }, { $0.testLoss = $1.isNaN ? nil : $1 }),
        ("test_accuracy", false, false, { $0.testAccuracy ?? .nan }, { $0.testAccuracy = $1.isNaN ? nil : $1 }),
        ("learning_rate", false, false, { $0.learningRate }, { $0.learningRate = $1 }),
        ("seconds", false, false, { $0.seconds }, { $0.seconds = $1 }),
        ("validation_loss", true, false, { $0.validationLoss ?? .nan }, { $0.validationLoss = $1.isNaN ? nil : $1 }),
        ("validation_accuracy", true, false, { $0.validationAccuracy ?? .nan }, { $0.validationAccuracy = $1.isNaN ? nil : $1 }),
    ]

    /// Largest epoch or step a history row may hold: a whole Double (2^53) that converts to Int.
    static let largestCount = Double(1 << 53)

    private var historyValues: [(String, [Double])] {
        let hasValidation = state.history.contains { $0.validationLoss != nil }
        return Self.historyColumns.filter { !$0.validation || hasValidation }
            .map { column in (column.name, state.history.map(column.get)) }
    }

    /// FNV-1a (64-bit) over everything a resume depends on: weights, optimizer slots, the
    /// training position and order, the generator, the history. A flipped byte anywhere in
    /// them changes it.
    /// `version1Order`: checking a file of version 1 or 2, which hashed fewer `/training`
    /// integers and its stored order.
    func checksum(version1Order: [Int]? = nil) -> UInt64 {
        var hash = Checksum()
        hash.add(model.parameters.buffer)
        hash.add(optimizerName)
        hash.add(Int64(optimizerSteps))
        for (name, values) in slots {
            hash.add(name)
            hash.add(values.buffer)
        }
        for (name, value) in integerValues.prefix(version1Order == nil ? integerValues.count : 5) {
            hash.add(name)
            hash.add(value)
        }
        for (name, value) in realValues { hash.add(name); hash.add(value.bitPattern) }
        for word in state.generatorState { hash.add(word) }
        if let order = version1Order ?? state.legacyOrder { order.withUnsafeBufferPointer { hash.add($0) } }
        for (name, column) in historyValues {
            hash.add(name)
            column.withUnsafeBufferPointer { hash.add($0) }
        }
        hash.add(model.experimentTOML)
        if let bestParameters {
            hash.add("best_model")
            hash.add(bestParameters.buffer)
        }
        return hash.value
    }
}

/// FNV-1a, 64-bit.
struct Checksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }

    mutating func add<T>(_ buffer: UnsafeBufferPointer<T>) { add(UnsafeRawBufferPointer(buffer)) }
    mutating func add<T>(_ buffer: UnsafeMutableBufferPointer<T>) { add(UnsafeRawBufferPointer(buffer)) }
    mutating func add(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { add($0) } }
    mutating func add(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { add($0) } }
    mutating func add(_ text: String) {
        var copy = text
        copy.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }
}
