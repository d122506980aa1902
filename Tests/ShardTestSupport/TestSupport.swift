import Foundation
import ShardCore
import ShardHDF5

/// This test process spawns `shardtrain` children while other tests, running in parallel,
/// hold HDF5 files open. HDF5 opens files without O_CLOEXEC, so a child inherits those
/// descriptors and with them their flock: the test that wrote a file then cannot reopen it
/// until the child exits ("unable to lock file, errno = 11"). So HDF5's file locking is off in
/// the test process; the children lock their files as usual. HDF5 reads the variable at each
/// open.
private let hdf5FileLockingOff: Void = {
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1)
}()

/// A fresh path in this test process's own temporary folder.
public func temporaryPath(_ name: String) -> String {
    _ = hdf5FileLockingOff
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shardtrain-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("\(UUID().uuidString)-\(name)").path
}

public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Tests/Fixtures: small committed files (scripts/make-test-fixtures.py writes them).
public var fixtures: String {
    _ = hdf5FileLockingOff
    return "\(repositoryRoot)/Tests/Fixtures"
}

/// Three Gaussian blobs in 4-D (class c centred at 3 * e_c, unit spread): separable, so a few
/// epochs reach high accuracy. Written in ShardTrain's dataset format with class names.
/// `mutate`, when given, writes each split's datasets instead (for malformed files).
public func writeBlobs(trainRows: Int = 300, testRows: Int = 90, seed: UInt64 = 5,
                       mutate: ((HDF5Group, String) throws -> Void)? = nil) throws -> String {
    let path = temporaryPath("blobs.h5")
    var generator = RandomGenerator(seed: seed)
    let file = try HDF5File.create(path)
    try file.root.setAttribute("classes", ["a", "b", "c"])
    for (split, rows) in [("train", trainRows), ("test", testRows)] {
        let group = try file.root.createGroup(split)
        if let mutate {
            try mutate(group, split)
            continue
        }
        var x: [Float] = [], y: [Int32] = []
        for row in 0..<rows {
            let label = row % 3
            y.append(Int32(label))
            x += (0..<4).map { Float(($0 == label ? 3 : 0) + generator.nextGaussian()) }
        }
        try group.createDataset("x", shape: [rows, 4], values: x)
        try group.createDataset("y", shape: [rows], values: y)
    }
    return path
}

/// A learnable uint8 image-like dataset: `classes` prototypes of `width` bytes plus noise,
/// stored chunked (`chunkRows` rows per chunk, compressed) as `shardtrain import` writes it.
/// With width 784 and 32-row chunks, the epoch order's blocks are 352 rows.
public func writeByteImages(trainRows: Int = 2400, testRows: Int = 300, width: Int = 784, classes: Int = 3,
                            chunkRows: Int = 32, seed: UInt64 = 11) throws -> String {
    let path = temporaryPath("images.h5")
    var generator = RandomGenerator(seed: seed)
    let prototypes = (0..<classes).map { _ in (0..<width).map { _ in Double(generator.nextIndex(below: 200)) } }
    let file = try HDF5File.create(path)
    try file.root.setAttribute("classes", (0..<classes).map { "class \($0)" })
    for (split, rows) in [("train", trainRows), ("test", testRows)] {
        let group = try file.root.createGroup(split)
        var x: [UInt8] = [], y: [UInt8] = []
        x.reserveCapacity(rows * width)
        for _ in 0..<rows {
            let label = generator.nextIndex(below: classes)
            y.append(UInt8(label))
            for column in 0..<width {
                let value = prototypes[label][column] + 40 * generator.nextGaussian()
                x.append(UInt8(max(0, min(255, value.rounded()))))
            }
        }
        let dataset = try group.createDataset("x", shape: [rows, width], values: x, chunks: [chunkRows, width],
                                              deflateLevel: 1)
        try dataset.setAttribute("scale", 1.0 / 255.0)
        try group.createDataset("y", shape: [rows], values: y, chunks: [4096], deflateLevel: 1)
    }
    try file.flush()
    return path
}
