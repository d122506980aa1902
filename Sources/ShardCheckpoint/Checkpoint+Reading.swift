import ShardCore
import ShardHDF5
import ShardNetwork

extension Checkpoint {
    /// Reads and verifies a checkpoint; any damage is a `badCheckpoint` naming the file.
    public static func read(from path: String) throws(CheckpointError) -> Checkpoint {
        do {
            let root = try HDF5File.open(path).root
            let model = try ModelFile.read(root: root, path: path)
            guard (try? root.stringAttribute("format")) == Self.format else {
                throw CheckpointError.badCheckpoint(path: path, reason: "not a checkpoint (format attribute is not \"\(Self.format)\")")
            }
            let version = try root.integerAttribute("version")
            guard readableVersions.contains(version) else {
                throw CheckpointError.badCheckpoint(path: path, reason: "checkpoint format version \(version); this ShardTrain reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound)")
            }
            let optimizer = try root.group("optimizer")
            var slots: [(name: String, values: FloatBuffer)] = []
            for child in try optimizer.children() where child.isGroup {
                let values = FloatBuffer(count: model.network.parameterCount)
                try ModelFile.readParameters(from: try optimizer.group(child.name),
                                             layout: model.network.layout, into: values, path: path)
                slots.append((child.name, values))
            }
            var bestParameters: FloatBuffer?
            if root.contains("best_model") {
                let values = FloatBuffer(count: model.network.parameterCount)
                try ModelFile.readParameters(from: try root.group("best_model"),
                                             layout: model.network.layout, into: values, path: path)
                bestParameters = values
            }
            let training = try root.group("training")
            let generatorState = try training.integerArrayAttribute("rng_state").map { UInt64(bitPattern: $0) }
            var state = TrainingState(rowCount: 0, blockRows: 0, generatorState: generatorState)
            var version1Order: [Int]?
            if version <= 2 {
                // Versions 1 and 2 stored the epoch's order; its length is the train rows. The
                // rest of a started epoch runs in it (TrainingState.legacyOrder).
                let order = try training.dataset("order").read(as: Int64.self).map(Int.init)
                version1Order = order
                for (name, field) in integerFields.prefix(4) { state[keyPath: field] = Int(try training.integerAttribute(name)) }
                state.trainRows = order.count
                state.legacyOrder = state.position > 0 ? order : nil
            } else {
                for (name, field) in integerFields { state[keyPath: field] = Int(try training.integerAttribute(name)) }
                if training.contains("legacy_order") {
                    state.legacyOrder = try training.dataset("legacy_order").read(as: Int64.self).map(Int.init)
                }
            }
            for (name, field) in realFields { state[keyPath: field] = try training.doubleAttribute(name) }
            let metrics = try root.group("metrics")
            let epochs = try metrics.dataset(historyColumns[0].name).read(as: Double.self).count
            let columns = try historyColumns.map { column in
                column.validation && !metrics.contains(column.name)
                    ? [Double](repeating: .nan, count: epochs)
                    : try metrics.dataset(column.name).read(as: Double.self)
            }
            guard columns.allSatisfy({ $0.count == epochs }) else {
                throw CheckpointError.badCheckpoint(path: path, reason: "the /metrics columns differ in length")
            }
            for (column, values) in zip(historyColumns, columns) where column.isCount {
                if let row = values.firstIndex(where: { !($0 >= 0 && $0 <= largestCount && $0.rounded(.towardZero) == $0) }) {
                    throw CheckpointError.badCheckpoint(
                        path: path, reason: "/metrics/\(column.name) row \(row) is \(values[row]), not a count of \(column.name)s: the file is corrupt")
                }
            }
            state.history = (0..<epochs).map { row in
                var record = EpochRecord(epoch: 0, step: 0, trainLoss: 0, trainAccuracy: nil, testLoss: nil,
                                         testAccuracy: nil, learningRate: 0, seconds: 0)
                for (column, values) in zip(historyColumns, columns) { column.set(&record, values[row]) }
                return record
            }
            let checkpoint = Checkpoint(
                model: model, optimizerName: try optimizer.stringAttribute("name"),
                optimizerSteps: Int(try optimizer.integerAttribute("step_count")),
                slots: slots, state: state, bestParameters: bestParameters)
            let stored = UInt64(bitPattern: try root.integerAttribute("checksum"))
            guard stored == checkpoint.checksum(version1Order: version1Order) else {
                throw CheckpointError.badCheckpoint(path: path, reason: "checksum mismatch: the file is corrupt")
            }
            return checkpoint
        } catch let error as CheckpointError {
            if case .badCheckpoint = error { throw error }
            throw .badCheckpoint(path: path, reason: error.description)
        } catch let error as HDF5Error {
            throw .badCheckpoint(path: path, reason: error.description)
        } catch {
            throw .badCheckpoint(path: path, reason: "\(error)")
        }
    }
}
