import CHDF5
import Foundation
import ShardTestSupport
import Testing
@testable import ShardHDF5

struct HDF5RoundTripTests {
    func roundTrip<T: HDF5Element & Equatable>(_ values: [T], shape: [Int], kind: HDF5ElementKind,
                                                chunks: [Int]?, deflate: Int?) throws {
        let path = temporaryPath("roundtrip.h5")
        do {
            let file = try HDF5File.create(path)
            try file.root.createGroup("group").createDataset("data", shape: shape, values: values,
                                                             chunks: chunks, deflateLevel: deflate)
        }
        let dataset = try HDF5File.open(path).root.group("group").dataset("data")
        #expect(try dataset.shape == shape)
        #expect(try dataset.elementKind == kind)
        #expect(try dataset.read(as: T.self) == values)
        // Rows 1..<3 of the first dimension.
        let rowWidth = shape.dropFirst().reduce(1, *)
        #expect(try dataset.readRows(1..<3, as: T.self) == Array(values[rowWidth..<(3 * rowWidth)]))
    }

    @Test(arguments: [false, true])
    func everyElementTypeRoundTrips(compressed: Bool) throws {
        let chunks: [Int]? = compressed ? [2, 3, 2] : nil
        let deflate: Int? = compressed ? 4 : nil
        let shape = [4, 3, 2]
        try roundTrip((0..<24).map { Float($0) * 0.5 - 3 }, shape: shape, kind: .float(bits: 32), chunks: chunks, deflate: deflate)
        try roundTrip((0..<24).map { Double($0) / 3 }, shape: shape, kind: .float(bits: 64), chunks: chunks, deflate: deflate)
        try roundTrip((0..<24).map { UInt8($0 * 10) }, shape: shape, kind: .unsignedInteger(bits: 8), chunks: chunks, deflate: deflate)
        try roundTrip((0..<24).map { Int32($0) - 12 }, shape: shape, kind: .signedInteger(bits: 32), chunks: chunks, deflate: deflate)
        try roundTrip((0..<24).map { Int64($0) << 40 }, shape: shape, kind: .signedInteger(bits: 64), chunks: chunks, deflate: deflate)
    }

    @Test func readingConvertsBetweenNumericTypes() throws {
        let path = temporaryPath("convert.h5")
        try HDF5File.create(path).root.createDataset("d", shape: [3], values: [1.5, -2.25, 1e10] as [Double])
        #expect(try HDF5File.open(path).root.dataset("d").read(as: Float.self) == [1.5, -2.25, 1e10])
    }

    @Test func attributesRoundTrip() throws {
        let path = temporaryPath("attributes.h5")
        do {
            let root = try HDF5File.create(path).root
            try root.setAttribute("name", "Fashion – MNIST ✓")
            try root.setAttribute("names", ["a", "bb", ""])
            try root.setAttribute("count", Int64(-5))
            try root.setAttribute("counts", [Int64(1), 2, 3])
            try root.setAttribute("rate", 0.125)
            try root.setAttribute("rate", 0.25)  // replacing is allowed
        }
        let root = try HDF5File.open(path).root
        #expect(try root.stringAttribute("name") == "Fashion – MNIST ✓")
        #expect(try root.stringArrayAttribute("names") == ["a", "bb", ""])
        #expect(try root.integerAttribute("count") == -5)
        #expect(try root.integerArrayAttribute("counts") == [1, 2, 3])
        #expect(try root.doubleAttribute("rate") == 0.25)
        #expect(try root.attributeNames().sorted() == ["count", "counts", "name", "names", "rate"])
        #expect(throws: HDF5Error.self) { try root.integerAttribute("name") }
    }

    @Test func h5dumpReadsOurFiles() throws {
        let path = temporaryPath("h5dump.h5")
        try HDF5File.create(path).root.createDataset("x", shape: [2, 2], values: [UInt8(1), 2, 3, 4],
                                                     chunks: [1, 2], deflateLevel: 4)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/h5dump")
        process.arguments = ["-d", "/x", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("(0,0): 1, 2,") && output.contains("(1,0): 3, 4"))
    }

    @Test func fileWrittenByH5pyWithGzipAndOddChunksReads() throws {
        // Written by scripts/make-test-fixtures.py: x[i, j] = i * 0.5 + j * 0.25 as float64 in
        // (5, 3) gzip chunks, y[i] = i % 3 as int64, class names as fixed-length strings.
        let file = try HDF5File.open("\(fixtures)/h5py-dataset.h5")
        #expect(try file.root.stringArrayAttribute("classes") == ["circle", "square", "triangle"])
        let x = try file.root.group("train").dataset("x")
        #expect(try x.shape == [37, 7])
        #expect(try x.elementKind == .float(bits: 64))
        let values = try x.read(as: Double.self)
        for i in 0..<37 { for j in 0..<7 { #expect(values[i * 7 + j] == Double(i) * 0.5 + Double(j) * 0.25) } }
        #expect(try x.readRows(30..<37, as: Float.self)[0] == 15)
        let y = try file.root.group("train").dataset("y").read(as: Int64.self)
        #expect(y == (0..<37).map { Int64($0 % 3) })
    }
}

struct HDF5ErrorTests {
    @Test func missingFile() {
        #expect(throws: HDF5Error.fileNotFound(file: "/nonexistent/file.h5")) {
            try HDF5File.open("/nonexistent/file.h5")
        }
    }

    @Test func notAnHDF5File() throws {
        let path = temporaryPath("text.h5")
        try "just text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: HDF5Error.self) { try HDF5File.open(path) }
        guard case .notHDF5(let file, _) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(file == path)
    }

    @Test func truncatedFileIsRefusedCleanly() throws {
        let path = temporaryPath("truncated.h5")
        try HDF5File.create(path).root.createDataset("x", shape: [1000], values: [Double](repeating: 1, count: 1000))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        // Either the open fails (superblock says the file is longer) or the read does; both
        // must be typed errors naming the file, never a crash.
        do {
            let file = try HDF5File.open(path)
            _ = try file.root.dataset("x").read(as: Double.self)
            Issue.record("a truncated file read without error")
        } catch {  // the do block throws HDF5Error only
            #expect(error.description.contains(path))
        }
    }

    @Test func missingObjectNamesThePath() throws {
        let path = temporaryPath("empty.h5")
        try HDF5File.create(path).root.createGroup("train")
        let file = try HDF5File.open(path)
        #expect(throws: HDF5Error.objectNotFound(file: path, object: "/train/x")) {
            try file.root.group("train").dataset("x")
        }
        #expect(throws: HDF5Error.objectNotFound(file: path, object: "/test")) { try file.root.group("test") }
        #expect(!file.root.contains("test/x"))
    }

    @Test func aDatasetOpenedAsAGroupAndAGroupAsADataset() throws {
        let path = temporaryPath("kinds.h5")
        do {
            let root = try HDF5File.create(path).root
            try root.createDataset("x", shape: [2], values: [1.0, 2.0])
            try root.createGroup("g").createGroup("inner")
        }
        let root = try HDF5File.open(path).root
        let asGroup = #expect(throws: HDF5Error.self) { try root.group("x") }
        #expect(asGroup == .wrongObjectKind(file: path, object: "/x", expected: .group, found: .dataset))
        let asDataset = #expect(throws: HDF5Error.self) { try root.dataset("g/inner") }
        #expect(asDataset == .wrongObjectKind(file: path, object: "/g/inner", expected: .dataset, found: .group))
        #expect(asDataset?.description.contains(path) == true)
        #expect(asDataset?.description.contains("'/g/inner' is a group, expected a dataset") == true)
        // A missing intermediate group is "not found", not a wrong kind.
        #expect(throws: HDF5Error.objectNotFound(file: path, object: "/nope/x")) { try root.dataset("nope/x") }
        #expect(throws: HDF5Error.objectNotFound(file: path, object: "/@missing")) { try root.stringAttribute("missing") }
    }
}

/// Every error class produced from a real file: each test asserts the case, that the message
/// names the file, and that it is one line.
struct HDF5ErrorClassTests {
    func expectNamesFile(_ error: HDF5Error?, _ path: String) {
        let text = error?.description ?? ""
        #expect(text.contains(path), "\(text)")
        #expect(!text.contains("\n"), "\(text)")
    }

    @Test func aTruncatedFileIsCorrupt() throws {
        let path = temporaryPath("cut.h5")
        try HDF5File.create(path).root.createDataset("x", shape: [1000], values: [Double](repeating: 1, count: 1000))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HDF5Error.self) { try HDF5File.open(path) }
        guard case .corrupt(path, "/", let message) = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(message.contains("truncated file"), "\(message)")
        expectNamesFile(error, path)
    }

    @Test func aGarbageFileIsNotHDF5() throws {
        let path = temporaryPath("garbage.h5")
        var generator = UInt64(12345)
        let bytes = (0..<4096).map { _ -> UInt8 in
            generator = generator &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: generator >> 56)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HDF5Error.self) { try HDF5File.open(path) }
        guard case .notHDF5(path, let message) = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(message.contains("file signature not found"), "\(message)")
        expectNamesFile(error, path)
    }

    @Test func aDamagedChunkIsCorrupt() throws {
        let path = temporaryPath("chunk.h5")
        let values = (0..<4096).map { Double($0) * 0.37 }
        try HDF5File.create(path).root.createDataset("x", shape: [4096], values: values, chunks: [1024], deflateLevel: 4)
        // Where HDF5 put the first chunk, asked of HDF5 itself; then 100 of its bytes are
        // overwritten, so deflate cannot decode it.
        var offset: haddr_t = 0
        var size: hsize_t = 0
        do {
            let dataset = try HDF5File.open(path).root.dataset("x")
            var origin: [hsize_t] = [0]
            var filterMask: UInt32 = 0
            #expect(H5Dget_chunk_info_by_coord(try dataset.objectID(), &origin, &filterMask, &offset, &size) >= 0)
        }
        #expect(size > 200)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for index in (Int(offset) + 100)..<(Int(offset) + 200) { data[index] = 0x55 }
        try data.write(to: URL(fileURLWithPath: path))

        let dataset = try HDF5File.open(path).root.dataset("x")
        let error = #expect(throws: HDF5Error.self) { try dataset.read(as: Double.self) }
        guard case .corrupt(path, "/x", let message) = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(message.contains("inflate() failed"), "\(message)")
        expectNamesFile(error, path)
    }

    @Test func theOperatingSystemFailingAReadIsAReadError() throws {
        let path = temporaryPath("unreadable.h5")
        try HDF5File.create(path).root.createDataset("x", shape: [100_000], values: [Double](repeating: 2, count: 100_000))
        let file = try HDF5File.open(path)
        let dataset = try file.root.dataset("x")
        // The file's descriptor is made to point at a directory, where read() fails (EISDIR).
        let error = try withDescriptorReplacedByADirectory(path) {
            #expect(throws: HDF5Error.self) { try dataset.read(as: Double.self) }
        }
        guard case .readFailed(path, "/x", let message) = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(message.contains("Is a directory"), "\(message)")
        expectNamesFile(error, path)
        #expect(try dataset.read(as: Double.self).allSatisfy { $0 == 2 })
        try dataset.close()
        try file.close()
    }

    @Test func aFailedCloseIsReported() throws {
        let path = temporaryPath("close.h5")
        let file = try HDF5File.create(path)
        // Chunked: HDF5 keeps the written chunks in its chunk cache until the dataset closes.
        let dataset = try file.root.createDataset("x", shape: [4096], values: [Double](repeating: 3, count: 4096),
                                                  chunks: [1024])
        let error = try withDescriptorReplacedByADirectory(path) {
            #expect(throws: HDF5Error.self) { try dataset.close() }
        }
        guard case .closeFailed(path, "/x", let message) = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty)
        expectNamesFile(error, path)
        try dataset.close()  // a second close does nothing
        try file.close()
        #expect(throws: HDF5Error.alreadyClosed(file: path, object: "/x")) { try dataset.shape }
        #expect(throws: HDF5Error.alreadyClosed(file: path, object: "/")) { try file.root.group("g") }
    }

    @Test func anExplicitCloseWritesTheFile() throws {
        let path = temporaryPath("closed.h5")
        let file = try HDF5File.create(path)
        let dataset = try file.root.createDataset("x", shape: [3], values: [1.0, 2.0, 3.0], chunks: [2])
        try dataset.close()
        try file.close()
        try file.close()
        #expect(try HDF5File.open(path).root.dataset("x").read(as: Double.self) == [1, 2, 3])
    }

    @Test func theLibraryIsThreadSafe() throws {
        // Checked at start-up; Debian's build passes. Opening from several threads at once
        // then works.
        try HDF5Library.prepare()
        let path = temporaryPath("threads.h5")
        try HDF5File.create(path).root.createDataset("x", shape: [64], values: (0..<64).map(Double.init))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            #expect((try? HDF5File.open(path).root.dataset("x").read(as: Double.self)) == (0..<64).map(Double.init))
        }
        #expect(HDF5Error.libraryNotThreadSafe(version: HDF5Library.version).description.contains("thread"))
    }

    /// Runs `body` while the descriptor HDF5 holds for `path` points at a directory instead
    /// (dup2, so the descriptor number never dangles for another thread to reuse), then puts
    /// the file back.
    func withDescriptorReplacedByADirectory<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        let descriptor = try #require(names.compactMap(Int32.init).first { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) == target
        })
        let saved = dup(descriptor)
        let directory = open("/tmp", O_RDONLY)
        #expect(saved >= 0 && directory >= 0)
        dup2(directory, descriptor)
        defer {
            dup2(saved, descriptor)
            close(saved)
            close(directory)
        }
        return try body()
    }
}
