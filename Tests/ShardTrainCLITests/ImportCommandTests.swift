import Foundation
import ShardTestSupport
import Testing

/// `shardtrain import npy` and `import csv`, checked against numpy and h5py: values and
/// element types; malformed input is one line, exit 65 and no file under the output name.
struct ImportCommandTests {
    /// Runs a Python script (numpy, h5py) in `folder`; returns its stdout.
    func python(_ script: String, in folder: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output + message, as: UTF8.self))
    }

    func folder() throws -> String {
        let path = temporaryPath("import")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // (X dtype and shape, Y dtype, expected x dtype, expected y dtype, .npy format version)
    @Test(arguments: [
        ("r.integers(0, 256, (n, 4, 5)).astype('|u1')", "r.integers(0, 7, n).astype('<i8')", "uint8", "int32", "1, 0"),
        ("r.standard_normal((n, 6)).astype('<f4')", "r.standard_normal((n, 3))", "float32", "float32", "2, 0"),
        ("r.integers(0, 256, (n, 6)).astype('<f8')", "r.integers(0, 3, n).astype('<i4')", "uint8", "int32", "1, 0"),
        ("r.integers(-5, 300, (n, 6)).astype('<i8')", "r.standard_normal(n).astype('<f4')", "float32", "float32", "3, 0"),
    ])
    func npyRoundTripsAgainstNumpy(x: String, y: String, xType: String, yType: String, version: String) throws {
        let folder = try folder()
        let write = """
            import numpy as np
            r = np.random.default_rng(1)
            for split, n in (("train", 2500), ("test", 700)):
                for name, array in (("x", \(x)), ("y", \(y))):
                    with open(f"{split}_{name}.npy", "wb") as f:
                        np.lib.format.write_array(f, array, version=(\(version)))
            """
        let written = try python(write, in: folder)
        #expect(written.status == 0, "\(written.output)")
        let result = try shardtrain(["import", "npy", "train_x.npy", "train_y.npy", "--test-x", "test_x.npy",
                                     "--test-y", "test_y.npy", "--out", "data/out.h5"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let check = """
            import h5py, numpy as np
            with h5py.File("data/out.h5", "r") as f:
                for split in ("train", "test"):
                    x, y = np.load(f"{split}_x.npy"), np.load(f"{split}_y.npy")
                    gx, gy = f[split]["x"], f[split]["y"]
                    assert gx.dtype == np.dtype("\(xType)"), (split, gx.dtype)
                    assert gy.dtype == np.dtype("\(yType)"), (split, gy.dtype)
                    assert gx.shape == (len(x), int(np.prod(x.shape[1:]))), gx.shape
                    assert np.array_equal(gx[...], x.reshape(len(x), -1).astype(gx.dtype)), split
                    assert np.array_equal(gy[...], y.astype(gy.dtype)), split
                    if gx.dtype == np.uint8: assert abs(gx.attrs["scale"] - 1 / 255) < 1e-15
                if gy.dtype == np.int32: assert list(f.attrs["classes"]) == [str(i) for i in range(int(np.load("train_y.npy").max()) + 1)]
            print("ok")
            """
        let checked = try python(check, in: folder)
        #expect(checked.output.hasPrefix("ok"), "\(checked.output)")
        // And it trains (the labelled ones; the regression targets here are noise).
        guard yType == "int32" else { return }
        let setup = try writeExperiment(data: "\(folder)/data/out.h5")
        let train = try shardtrain(["train", setup, "--quiet", "--json", "--set", "data.loading=\"stream\""], in: folder)
        #expect(train.status == 0, "\(train.stderr)")
    }

    @Test func csvRoundTripsAgainstNumpy() throws {
        let folder = try folder()
        let write = """
            import numpy as np
            r = np.random.default_rng(2)
            names = ["cat", "dog", "emu"]
            for split, n in (("train", 900), ("test", 200)):
                x = np.round(r.standard_normal((n, 5)), 4)
                labels = r.integers(0, 3 if split == "train" else 2, n)
                with open(f"{split}.csv", "w") as f:
                    f.write("f0,f1,kind,f2,f3,f4\\n")
                    for row, label in zip(x, labels):
                        f.write(",".join(map(repr, row[:2].tolist())) + f",{names[label]}," + ",".join(map(repr, row[2:].tolist())) + "\\n")
                np.save(f"{split}_x.npy", x.astype(np.float32))
                np.save(f"{split}_y.npy", labels.astype(np.int32))
            """
        #expect(try python(write, in: folder).status == 0)
        let result = try shardtrain(["import", "csv", "train.csv", "--label-column", "kind", "--test", "test.csv",
                                     "--out", "out.h5"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let check = """
            import h5py, numpy as np
            with h5py.File("out.h5", "r") as f:
                assert [c.decode() if isinstance(c, bytes) else c for c in f.attrs["classes"]] == ["cat", "dog", "emu"]
                for split in ("train", "test"):
                    assert f[split]["x"].dtype == np.float32 and f[split]["y"].dtype == np.int32
                    loaded = np.loadtxt(f"{split}.csv", delimiter=",", skiprows=1, usecols=(0, 1, 3, 4, 5), dtype=np.float32)
                    assert np.array_equal(f[split]["x"][...], loaded), split
                    assert np.array_equal(f[split]["y"][...], np.load(f"{split}_y.npy")), split
            print("ok")
            """
        let checked = try python(check, in: folder)
        #expect(checked.output.hasPrefix("ok"), "\(checked.output)")
    }

    @Test(arguments: [
        ("a,b,label\n1,2,0\n3,4\n", "line 3 has 2 fields, the header has 3"),
        ("a,b,label\n1,2,0\n3,four,1\n", "line 3, column 'b': 'four' is not a number"),
        ("a,b,class\n1,2,0\n", "no column 'label' in the header"),
    ])
    func aBadCSVIsOneLineExit65AndNoFile(text: String, reason: String) throws {
        let folder = try folder()
        try text.write(toFile: "\(folder)/bad.csv", atomically: true, encoding: .utf8)
        let result = try shardtrain(["import", "csv", "bad.csv", "--label-column", "label", "--out", "out.h5"], in: folder)
        #expect(result.status == 65)
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("shardtrain: error: bad.csv: "), "\(result.stderr)")
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["bad.csv"])
    }

    @Test func aBadNpyIsOneLineExit65() throws {
        let folder = try folder()
        try "not numpy".write(toFile: "\(folder)/x.npy", atomically: true, encoding: .utf8)
        let result = try shardtrain(["import", "npy", "x.npy", "x.npy", "--out", "out.h5"], in: folder)
        #expect(result.status == 65 && result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("x.npy: cannot import: not a .npy file"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/out.h5"))
    }
}
