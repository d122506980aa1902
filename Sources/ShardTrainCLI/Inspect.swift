import ArgumentParser
import ShardHDF5
import ShardCheckpoint
import ShardConfig
import ShardTraining

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the groups, datasets, shapes, types and attributes of an HDF5 file.")

    @Argument(help: "A dataset, model or any HDF5 file.")
    var file: String

    func run() throws {
        let handle = try HDF5File.open(file)
        let format = try? handle.root.stringAttribute("format")
        if format == ModelFile.format || format == Checkpoint.format, let model = try? ModelFile.read(from: file) {
            let network = model.network
            print("model: \(network.layerSizes.map(String.init).joined(separator: "-")), "
                  + "\(network.hiddenActivation.rawValue) hidden, \(network.loss.rawValue) loss, "
                  + "\(network.parameterCount) parameters, experiment \(model.experimentName)")
        }
        if format == Checkpoint.format {
            do {
                let checkpoint = try Checkpoint.read(from: file)
                let state = checkpoint.state
                var line = "checkpoint: step \(state.step), epoch \(state.epoch)"
                line += state.position > 0 ? " (\(state.position) of \(state.trainRows) rows done)" : " (not started)"
                line += ", \(state.samplesSeen) samples seen, optimizer \(checkpoint.optimizerName) after \(checkpoint.optimizerSteps) updates"
                if let last = state.history.last {
                    line += "; after epoch \(last.epoch): train loss \(last.trainLoss)"
                    if let loss = last.validationLoss { line += ", validation loss \(loss)" }
                    if let accuracy = last.validationAccuracy { line += ", validation accuracy \(accuracy)" }
                    if let loss = last.testLoss { line += ", test loss \(loss)" }
                    if let accuracy = last.testAccuracy { line += ", test accuracy \(accuracy)" }
                }
                print(line + "; checksum ok")
            } catch {
                print("checkpoint: UNUSABLE: \(error.description)")
            }
        }
        try describe(handle.root, depth: 0)
    }

    private func describe(_ group: HDF5Group, depth: Int) throws {
        let indent = String(repeating: "  ", count: depth)
        print("\(indent)\(group.path)")
        try describeAttributes(group, indent: indent + "  ")
        for child in try group.children() {
            if child.isGroup {
                try describe(try group.group(child.name), depth: depth + 1)
            } else {
                let dataset = try group.dataset(child.name)
                let shape = try dataset.shape.map(String.init).joined(separator: " x ")
                print("\(indent)  \(child.name): \(try dataset.elementKind) [\(shape)]")
                try describeAttributes(dataset, indent: indent + "    ")
            }
        }
    }

    private func describeAttributes(_ object: some HDF5Object, indent: String) throws {
        for name in try object.attributeNames() {
            let info = try object.attributeInfo(name)
            let text: String
            switch info.kind {
            case .string:
                let values = try object.stringArrayAttribute(name)
                let joined = values.count == 1 ? values[0] : "[" + values.joined(separator: ", ") + "]"
                text = joined.contains("\n") ? "(\(joined.split(separator: "\n").count) lines of text)" : joined
            case .float:
                let values = try object.doubleArrayAttribute(name)
                text = values.count == 1 ? "\(values[0])" : "\(values)"
            case .signedInteger, .unsignedInteger:
                let values = try object.integerArrayAttribute(name)
                text = values.count == 1 ? "\(values[0])" : "\(values)"
            case .other(let kind):
                text = "(\(kind))"
            }
            print("\(indent)@\(name) = \(text)")
        }
    }
}
