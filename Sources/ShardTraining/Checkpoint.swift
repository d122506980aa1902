import Foundation
import ShardCore
import ShardHDF5
import ShardNetwork

/// A checkpoint: the model file's layout plus the optimizer's state, the training position and
/// the metrics history, with a checksum over all of it (docs/checkpoint-format.md).
public struct Checkpoint {
    public static let format = "shardtrain-checkpoint"
    public static let version: Int64 = 1

    public var model: ModelFile
    public var optimizerName: String
    public var optimizerSteps: Int
    /// Optimizer state buffers by slot name (`velocity`, `first_moment`, ...), laid out like
    /// the parameters.
    public var slots: [(name: String, values: FloatBuffer)]
    public var state: TrainingState

    /// The metric the best checkpoint is chosen by: the last test accuracy (higher is better),
    /// or for regression the negated test loss; nil before the first evaluation.
    public var score: Double? {
        guard let last = state.history.last else { return nil }
        return last.testAccuracy ?? -last.testLoss
    }

    // MARK: Writing

    public func write(to path: String) throws(TrainingError) {
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File.create(temporary)
            let root = file.root
            var metrics: [String: Double] = [:]
            if let last = state.history.last {
                metrics["test_loss"] = last.testLoss
                metrics["train_loss"] = last.trainLoss
                if let accuracy = last.testAccuracy { metrics["test_accuracy"] = accuracy }
            }
            try model.write(into: root, metrics: metrics, format: Self.format)
            try root.setAttribute("version", Self.version)
            try root.setAttribute("created", ISO8601DateFormatter().string(from: Date()))
            try root.setAttribute("shardtrain_version", ShardTrainVersion.string)

            let optimizer = try root.createGroup("optimizer")
            try optimizer.setAttribute("name", optimizerName)
            try optimizer.setAttribute("step_count", Int64(optimizerSteps))
            for (name, values) in slots {
                let slot = try optimizer.createGroup(name)
                for entry in model.network.layout.entries {
                    let layer = try slot.groupCreatingIfNeeded(entry.layer)
                    try layer.createDataset(entry.kind, shape: entry.shape, values: UnsafeBufferPointer(
                        start: values.pointer + entry.offset, count: entry.count))
                }
            }

            let training = try root.createGroup("training")
            for (name, value) in integerFields { try training.setAttribute(name, value) }
            for (name, value) in realFields { try training.setAttribute(name, value) }
            try training.setAttribute("rng_state", state.generatorState.map { Int64(bitPattern: $0) })
            try training.createDataset("order", shape: [state.order.count], values: state.order.map(Int64.init))

            let history = try root.createGroup("metrics")
            for (name, column) in historyColumns {
                try history.createDataset(name, shape: [column.count], values: column)
            }
            try root.setAttribute("checksum", Int64(bitPattern: checksum()))
            try file.flush()
        }
    }

    private var integerFields: [(String, Int64)] {
        [("epoch", Int64(state.epoch)), ("position", Int64(state.position)), ("step", Int64(state.step)),
         ("samples_seen", Int64(state.samplesSeen)), ("epoch_correct", Int64(state.epochCorrect))]
    }

    private var realFields: [(String, Double)] {
        [("epoch_loss_sum", state.epochLossSum), ("training_seconds", state.trainingSeconds),
         ("wall_seconds", state.wallSeconds)]
    }

    /// The history as columns; a missing accuracy is stored as NaN.
    private var historyColumns: [(String, [Double])] {
        let h = state.history
        return [
            ("epoch", h.map { Double($0.epoch) }), ("step", h.map { Double($0.step) }),
            ("train_loss", h.map(\.trainLoss)), ("train_accuracy", h.map { $0.trainAccuracy ?? .nan }),
            ("test_loss", h.map(\.testLoss)), ("test_accuracy", h.map { $0.testAccuracy ?? .nan }),
            ("learning_rate", h.map(\.learningRate)), ("seconds", h.map(\.seconds)),
        ]
    }

    /// FNV-1a (64-bit) over everything a resume depends on: weights, optimizer slots, the
    /// training position and order, the generator, the history. A flipped byte anywhere in
    /// them changes it.
    func checksum() -> UInt64 {
        var hash = Checksum()
        hash.add(model.parameters.buffer)
        hash.add(optimizerName)
        hash.add(Int64(optimizerSteps))
        for (name, values) in slots {
            hash.add(name)
            hash.add(values.buffer)
        }
        for (name, value) in integerFields { hash.add(name); hash.add(value) }
        for (name, value) in realFields { hash.add(name); hash.add(value.bitPattern) }
        for word in state.generatorState { hash.add(word) }
        state.order.withUnsafeBufferPointer { hash.add($0) }
        for (name, column) in historyColumns {
            hash.add(name)
            column.withUnsafeBufferPointer { hash.add($0) }
        }
        hash.add(model.experimentTOML)
        return hash.value
    }

    // MARK: Reading

    /// Reads and verifies a checkpoint; any damage is a `badCheckpoint` naming the file.
    public static func read(from path: String) throws(TrainingError) -> Checkpoint {
        do {
            let root = try HDF5File.open(path).root
            let model = try ModelFile.read(root: root, path: path)
            guard (try? root.stringAttribute("format")) == Self.format else {
                throw TrainingError.badCheckpoint(path: path, reason: "not a checkpoint (format attribute is not \"\(Self.format)\")")
            }
            let version = try root.integerAttribute("version")
            guard version == Self.version else {
                throw TrainingError.badCheckpoint(path: path, reason: "checkpoint format version \(version); this ShardTrain reads version \(Self.version)")
            }
            let optimizer = try root.group("optimizer")
            var slots: [(String, FloatBuffer)] = []
            for child in try optimizer.children() where child.isGroup {
                let values = FloatBuffer(count: model.network.parameterCount)
                let slot = try optimizer.group(child.name)
                for entry in model.network.layout.entries {
                    let dataset = try slot.group(entry.layer).dataset(entry.kind)
                    guard try dataset.shape == entry.shape else {
                        throw TrainingError.badCheckpoint(path: path, reason: "\(dataset.path) has the wrong shape")
                    }
                    try dataset.read(into: UnsafeMutableBufferPointer(start: values.pointer + entry.offset, count: entry.count))
                }
                slots.append((child.name, values))
            }
            let training = try root.group("training")
            let generatorState = try training.integerArrayAttribute("rng_state").map { UInt64(bitPattern: $0) }
            var state = TrainingState(rowCount: 0, generatorState: generatorState)
            state.order = try training.dataset("order").read(as: Int64.self).map(Int.init)
            state.epoch = Int(try training.integerAttribute("epoch"))
            state.position = Int(try training.integerAttribute("position"))
            state.step = Int(try training.integerAttribute("step"))
            state.epochCorrect = Int(try training.integerAttribute("epoch_correct"))
            state.epochLossSum = try training.doubleAttribute("epoch_loss_sum")
            state.trainingSeconds = try training.doubleAttribute("training_seconds")
            state.wallSeconds = try training.doubleAttribute("wall_seconds")
            let metrics = try root.group("metrics")
            func column(_ name: String) throws -> [Double] { try metrics.dataset(name).read(as: Double.self) }
            let epochs = try column("epoch"), steps = try column("step")
            let trainLoss = try column("train_loss"), trainAccuracy = try column("train_accuracy")
            let testLoss = try column("test_loss"), testAccuracy = try column("test_accuracy")
            let rates = try column("learning_rate"), seconds = try column("seconds")
            state.history = epochs.indices.map { i in
                EpochRecord(epoch: Int(epochs[i]), step: Int(steps[i]), trainLoss: trainLoss[i],
                            trainAccuracy: trainAccuracy[i].isNaN ? nil : trainAccuracy[i],
                            testLoss: testLoss[i], testAccuracy: testAccuracy[i].isNaN ? nil : testAccuracy[i],
                            learningRate: rates[i], seconds: seconds[i])
            }
            let checkpoint = Checkpoint(
                model: model, optimizerName: try optimizer.stringAttribute("name"),
                optimizerSteps: Int(try optimizer.integerAttribute("step_count")),
                slots: slots, state: state)
            let stored = UInt64(bitPattern: try root.integerAttribute("checksum"))
            guard stored == checkpoint.checksum() else {
                throw TrainingError.badCheckpoint(path: path, reason: "checksum mismatch: the file is corrupt")
            }
            return checkpoint
        } catch let error as TrainingError {
            if case .badCheckpoint = error { throw error }
            throw .badCheckpoint(path: path, reason: error.description)
        } catch let error as HDF5Error {
            throw .badCheckpoint(path: path, reason: error.description)
        } catch {
            throw .badCheckpoint(path: path, reason: "\(error)")
        }
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
