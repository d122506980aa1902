import ShardHDF5

/// Converts the Fashion-MNIST IDX files into ShardTrain's dataset format: `/train` and `/test`,
/// each with `x` uint8 [N x 784] (compressed) and `y` uint8 [N], and the class names.
public enum FashionMNISTImporter {
    public static let defaultSourceFolder = "/usr/share/datasets/fashion-mnist"
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    public struct Summary: Sendable {
        public let trainRows: Int
        public let testRows: Int
    }

    /// Reads `<folder>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz` (or without .gz),
    /// checks them, and writes `output`.
    public static func run(from folder: String, to output: String) throws(DataError) -> Summary {
        let train = try readSplit(folder: folder, prefix: "train")
        let test = try readSplit(folder: folder, prefix: "t10k")
        do {
            let file = try HDF5File.create(output)
            try file.root.setAttribute("format", "shardtrain-dataset")
            try file.root.setAttribute("version", Int64(1))
            try file.root.setAttribute("source", "Fashion-MNIST (IDX files from \(folder))")
            try file.root.setAttribute("classes", classNames)
            for (name, split) in [("train", train), ("test", test)] {
                let group = try file.root.createGroup(name)
                let x = try group.createDataset(
                    "x", shape: [split.rows, split.width], values: split.images,
                    chunks: [1024, split.width], deflateLevel: 4)
                try x.setAttribute("scale", 1.0 / 255.0)
                try group.createDataset("y", shape: [split.rows], values: split.labels,
                                        chunks: [8192], deflateLevel: 4)
            }
            try file.flush()
        } catch {
            throw DataError.writeFailed(file: output, reason: "\(error)")
        }
        return Summary(trainRows: train.rows, testRows: test.rows)
    }

    private struct Split {
        let rows: Int
        let width: Int
        let images: [UInt8]
        let labels: [UInt8]
    }

    private static func readSplit(folder: String, prefix: String) throws(DataError) -> Split {
        let imagePath = locate(folder: folder, name: "\(prefix)-images-idx3-ubyte")
        let labelPath = locate(folder: folder, name: "\(prefix)-labels-idx1-ubyte")
        let images = try IDXFile.read(path: imagePath)
        let labels = try IDXFile.read(path: labelPath)
        guard images.dimensions.count == 3 else {
            throw DataError.invalidIDX(file: imagePath, reason: "expected 3 dimensions (N x rows x columns), found \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw DataError.invalidIDX(file: labelPath, reason: "expected 1 dimension (N), found \(labels.dimensions)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError.invalidIDX(file: labelPath, reason: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images")
        }
        if let bad = labels.bytes.firstIndex(where: { $0 >= classNames.count }) {
            throw DataError.invalidIDX(file: labelPath, reason: "label \(labels.bytes[bad]) at row \(bad) is not a Fashion-MNIST class (0-9)")
        }
        return Split(rows: images.dimensions[0], width: images.dimensions[1] * images.dimensions[2],
                     images: images.bytes, labels: labels.bytes)
    }

    private static func locate(folder: String, name: String) -> String {
        let compressed = "\(folder)/\(name).gz"
        let plain = "\(folder)/\(name)"
        return fileExists(compressed) || !fileExists(plain) ? compressed : plain
    }
}

#if canImport(Glibc)
import Glibc
#endif

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
