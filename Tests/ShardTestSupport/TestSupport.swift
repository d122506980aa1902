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
