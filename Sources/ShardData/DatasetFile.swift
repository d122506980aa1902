import ShardCore
import ShardHDF5

/// Reads datasets in ShardTrain's format (datasets/README.md): one HDF5 file, one group per
/// split, each with features `x` (N x D, or N x ... flattened; float32, float64 or uint8) and
/// `y` (N integer labels, or N x K / N float targets). uint8 features are scaled by the `scale`
/// attribute of `x`, 1/255 by default. Class names may sit in a `classes` attribute on the
/// split group or on the root group.
public struct DatasetFile: Sendable {
    public let path: String
    let file: HDF5File

    public init(path: String) throws(DataError) {
        self.path = path
        if let problem = fileProblem(path), problem != "does not exist" {
            throw .unreadable(file: path, problem: problem)
        }
        do { file = try HDF5File.open(path) } catch { throw .file(error) }
    }

    /// The split groups in the file.
    public func splitNames() -> [String] {
        ((try? file.root.children()) ?? []).filter(\.isGroup).map(\.name)
    }

    /// Class names from the `classes` attribute of the split group or the root, if any.
    public func classNames(split: String) -> [String]? {
        if let group = try? file.root.group(split), group.hasAttribute("classes") {
            return try? group.stringArrayAttribute("classes")
        }
        if file.root.hasAttribute("classes") { return try? file.root.stringArrayAttribute("classes") }
        return nil
    }

    /// Loads `split` into memory, checking shapes, element types and finiteness.
    public func load(split: String, features: String = "x", targets: String = "y") throws(DataError) -> DataSplit {
        let group = try splitGroup(split)
        let featurePath = "/\(split)/\(features)"
        let targetPath = "/\(split)/\(targets)"
        let x = try openArray(group, features, path: featurePath, role: "features")
        let y = try openArray(group, targets, path: targetPath, role: "labels or targets")
        let xShape = try reading { () throws(HDF5Error) in try x.shape }
        guard xShape.count >= 2 else {
            throw DataError.wrongRank(file: path, object: featurePath,
                                      expected: "N x D (one row per sample)", found: xShape)
        }
        let rows = xShape[0]
        let width = xShape.dropFirst().reduce(1, *)
        guard rows > 0 else { throw DataError.emptySplit(file: path, object: featurePath) }
        guard width > 0 else {
            throw DataError.invalid(file: path, object: featurePath,
                                    problem: "has shape \(xShape): no features per row; a split needs at least one column")
        }
        let featureBuffer = FloatBuffer(count: rows * width)
        switch try reading({ () throws(HDF5Error) in try x.elementKind }) {
        case .float(bits: 32), .float(bits: 64):
            try reading { () throws(HDF5Error) in try x.read(into: featureBuffer.buffer) }
            try checkFinite(featureBuffer, width: width, object: featurePath)
        case .unsignedInteger(bits: 8):
            // Scaled in Float64 then rounded once, so 51 becomes Float(0.2) exactly as
            // numpy's x / 255 would give.
            let scale = x.hasAttribute("scale")
                ? try reading { () throws(HDF5Error) in try x.doubleAttribute("scale") } : 1.0 / 255
            guard scale > 0, scale.isFinite else {
                throw DataError.invalid(file: path, object: "\(featurePath)@scale",
                                        problem: "is \(scale); the uint8 scale must be a positive finite number (1/255 when absent)")
            }
            let bytes: [UInt8] = try reading { () throws(HDF5Error) in try x.read() }
            var table = [Float](repeating: 0, count: 256)
            for value in 0..<256 { table[value] = Float(Double(value) * scale) }
            for index in 0..<bytes.count { featureBuffer[index] = table[Int(bytes[index])] }
            if !scale.isFinite {
                throw DataError.nonFinite(file: path, object: "\(featurePath)@scale", row: 0,
                                          column: 0, value: Float(scale))
            }
        case let kind:
            throw DataError.unsupportedType(file: path, object: featurePath,
                                            found: kind.description,
                                            allowed: "float32, float64 or uint8")
        }

        let yShape = try reading { () throws(HDF5Error) in try y.shape }
        guard yShape.first == rows else {
            throw DataError.rowCountMismatch(file: path, features: featurePath, featureRows: rows,
                                             targets: targetPath, targetRows: yShape.first ?? 0)
        }
        let yKind = try reading { () throws(HDF5Error) in try y.elementKind }
        let splitTargets: DataSplit.TargetStorage
        if yKind.isInteger {
            guard yShape.count == 1 else {
                throw DataError.wrongRank(file: path, object: targetPath,
                                          expected: "N integer labels (1-D)", found: yShape)
            }
            let wide: [Int64] = try reading { () throws(HDF5Error) in try y.read() }
            var labels = [Int32](repeating: 0, count: rows)
            for (row, label) in wide.enumerated() {
                guard label >= 0, label <= Int64(Int32.max) else {
                    throw DataError.labelOutOfRange(file: path, object: targetPath, row: row,
                                                    label: label, classCount: Int(Int32.max))
                }
                labels[row] = Int32(label)
            }
            splitTargets = .labels(labels)
        } else if yKind.isFloat {
            guard yShape.count <= 2 else {
                throw DataError.wrongRank(file: path, object: targetPath,
                                          expected: "N or N x K float targets", found: yShape)
            }
            let targetWidth = yShape.count == 2 ? yShape[1] : 1
            let values = FloatBuffer(count: rows * targetWidth)
            try reading { () throws(HDF5Error) in try y.read(into: values.buffer) }
            try checkFinite(values, width: targetWidth, object: targetPath)
            splitTargets = .values(values, width: targetWidth)
        } else {
            throw DataError.unsupportedType(file: path, object: targetPath,
                                            found: yKind.description,
                                            allowed: "integer labels or float targets")
        }
        return DataSplit(name: split, rowCount: rows, width: width, features: featureBuffer,
                         targets: splitTargets)
    }

    /// Runs HDF5 reads, their failures becoming data errors (which name the file and object).
    private func reading<R>(_ body: () throws(HDF5Error) -> R) throws(DataError) -> R {
        do { return try body() } catch { throw .file(error) }
    }

    private func splitGroup(_ split: String) throws(DataError) -> HDF5Group {
        do {
            return try file.root.group(split)
        } catch .objectNotFound {
            throw .missingSplit(file: path, split: split, available: splitNames())
        } catch {
            throw .file(error)
        }
    }

    private func openArray(_ group: HDF5Group, _ name: String, path object: String,
                           role: String) throws(DataError) -> HDF5Dataset {
        do {
            return try group.dataset(name)
        } catch .objectNotFound {
            throw .missingArray(file: path, object: object, role: role)
        } catch {
            throw .file(error)
        }
    }

    private func checkFinite(_ buffer: FloatBuffer, width: Int, object: String) throws(DataError) {
        for index in 0..<buffer.count where !buffer[index].isFinite {
            throw DataError.nonFinite(file: path, object: object, row: index / width,
                                      column: index % width, value: buffer[index])
        }
    }
}
