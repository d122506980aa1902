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
        } catch let error as HDF5Error {
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
}
