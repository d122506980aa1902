import Foundation
import ShardTestSupport
import Testing
@testable import ShardData

struct IDXTests {
    func header(rank: UInt8, dimensions: [Int], type: UInt8 = 0x08) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, rank]
        for d in dimensions { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return bytes
    }

    @Test func parsesHeaderAndBody() throws {
        let file = try IDXFile.parse(header(rank: 2, dimensions: [2, 3]) + [1, 2, 3, 4, 5, 6], path: "t")
        #expect(file.dimensions == [2, 3])
        #expect(file.bytes == [1, 2, 3, 4, 5, 6])
    }

    @Test func refusesBadMagicTypeAndSize() {
        #expect(throws: DataError.self) { try IDXFile.parse([1, 0, 8, 1, 0, 0, 0, 0], path: "t") }
        #expect(throws: DataError.self) { try IDXFile.parse(header(rank: 1, dimensions: [1], type: 0x0D) + [0, 0, 0, 0], path: "t") }
        #expect(throws: DataError.self) { try IDXFile.parse(header(rank: 1, dimensions: [4]) + [1, 2, 3], path: "t") }
        #expect(throws: DataError.self) { try IDXFile.parse([0, 0, 8, 3, 0, 0], path: "t") }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNISTImporter.defaultSourceFolder)))
    func importsRealFashionMNISTAsPythonReadsIt() throws {
        // The oracle: Python's gzip module decodes the IDX files independently, and h5py reads
        // our output; every pixel and label must agree.
        let output = temporaryPath("fashion-mnist.h5")
        let summary = try FashionMNISTImporter.run(from: FashionMNISTImporter.defaultSourceFolder, to: output)
        #expect(summary.trainRows == 60000 && summary.testRows == 10000)
        let script = """
            import gzip, sys, h5py, numpy as np
            src, out = sys.argv[1], sys.argv[2]
            def idx(name, offset):
                return np.frombuffer(gzip.open(f"{src}/{name}.gz").read(), dtype=np.uint8, offset=offset)
            with h5py.File(out, "r") as f:
                for split, prefix in (("train", "train"), ("test", "t10k")):
                    x = idx(f"{prefix}-images-idx3-ubyte", 16).reshape(-1, 784)
                    y = idx(f"{prefix}-labels-idx1-ubyte", 8)
                    assert np.array_equal(f[split]["x"][...], x), split
                    assert np.array_equal(f[split]["y"][...], y), split
                assert list(f.attrs["classes"])[9] == "Ankle boot"
            print("ok")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, FashionMNISTImporter.defaultSourceFolder, output]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && text.contains("ok"))
        let split = try DatasetFile(path: output).load(split: "test")
        #expect(split.rowCount == 10000 && split.width == 784)
        #expect(split.features.array.allSatisfy { (0...1).contains($0) })
    }
}

/// Headers whose dimensions multiply past Int.max (found by libFuzzer) are an error, not a trap.
struct IDXHeaderOverflowTests {
    @Test func dimensionsThatOverflowAreRefused() {
        let header: [UInt8] = [0, 0, 0x08, 4] + [UInt8](repeating: 0xFF, count: 16)
        #expect(throws: DataError.self) { try IDXFile.parse(header, path: "overflow.idx") }
    }
}
