import Foundation
import ShardTestSupport
import Testing

/// The bad-input matrix: hostile and mistaken inputs of the five classes (a command that
/// would destroy work, an input that would trap, a nonsense value, a reader that would trust
/// its file, an error a person cannot act on), each run against the real binary in a copy of
/// one fixture (a dataset, an experiment, a finished run with checkpoints, a model). Every case
/// asserts its exit code, one `shardtrain: error:` line naming the cause, and that every file
/// that existed before is byte-identical afterwards (a run directory may gain only its lock).
struct BadInputMatrixTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let status: Int32
        let mentions: [String]
        /// Prepares whatever the case needs inside the fixture folder and returns the arguments.
        let prepare: @Sendable (String) throws -> [String]
        var testDescription: String { name }

        init(_ name: String, _ status: Int32, _ mentions: [String], _ prepare: @escaping @Sendable (String) throws -> [String]) {
            self.name = name
            self.status = status
            self.mentions = mentions
            self.prepare = prepare
        }
    }

    /// The fixture, built once: data.h5, exp.toml, a finished run in run/, model.h5 beside it.
    static let fixture: String = {
        let folder = temporaryPath("matrix-fixture")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: try writeBlobs(trainRows: 120, testRows: 30), toPath: "\(folder)/data.h5")
            try experimentText().write(toFile: "\(folder)/exp.toml", atomically: true, encoding: .utf8)
            let run = try shardtrain(["train", "exp.toml", "--run-dir", "run", "--quiet"], in: folder)
            precondition(run.status == 0, "fixture run failed: \(run.stderr)")
            try FileManager.default.copyItem(atPath: "\(folder)/run/model.h5", toPath: "\(folder)/model.h5")
        } catch {
            preconditionFailure("fixture: \(error)")
        }
        return folder
    }()

    static func experimentText(data: String = "data.h5", hidden: String = "[8]", _ extra: String = "") -> String {
        """
        [data]
        path = "\(data)"
        [model]
        hidden = \(hidden)
        [training]
        epochs = 2
        batch_size = 16
        \(extra)
        """
    }

    /// Writes case.toml: the fixture's experiment with another data file or hidden layers, and
    /// `extra` appended (keys in [training] unless it opens a section).
    static func experiment(_ folder: String, data: String = "data.h5", hidden: String = "[8]", _ extra: String = "") throws -> String {
        try experimentText(data: data, hidden: hidden, extra).write(toFile: "\(folder)/case.toml", atomically: true, encoding: .utf8)
        return "case.toml"
    }

    /// Runs a Python snippet with h5py and numpy in `folder` (Debian's interpreter).
    static func python(_ folder: String, _ code: String) throws {
        let result = try runProcess("/usr/bin/python3", ["-c", "import h5py, numpy as np\n" + code], in: folder)
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["python": result.stderr]) }
    }

    /// The newest checkpoint of the fixture run, as a path relative to the folder.
    static func checkpoint(_ folder: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/run/checkpoints").sorted()
        guard let newest = names.last(where: { $0.hasPrefix("step-") }) else { throw CocoaError(.fileNoSuchFile) }
        return "run/checkpoints/\(newest)"
    }

    static func flipByte(_ path: String, at fraction: Double) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let index = Int(Double(bytes.count) * fraction)
        bytes[index] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func dataset(_ folder: String, _ name: String, _ body: String) throws -> String {
        try python(folder, "with h5py.File('\(name)', 'w') as f:\n" + body)
        return name
    }

    static let cases: [Case] = destroyingWork + traps + nonsenseValues + trustingReaders + unclearErrors

    // MARK: 1. A failed command must not destroy existing work

    static let destroyingWork: [Case] = [
        Case("--force with a mistyped data.path", 65, ["nowhere.h5"]) { f in
            ["train", try experiment(f, data: "nowhere.h5"), "--run-dir", "run", "--force"]
        },
        Case("--force with a missing --init-from", 65, ["missing.h5"]) { _ in
            ["train", "exp.toml", "--run-dir", "run", "--force", "--init-from", "missing.h5"]
        },
        Case("--force with a batch larger than the split", 64, ["training.batch_size"]) { _ in
            ["train", "exp.toml", "--run-dir", "run", "--force", "--set", "training.batch_size=500"]
        },
        Case("--force --init-from the run's own model", 64, ["--init-from", "--force"]) { _ in
            ["train", "exp.toml", "--run-dir", "run", "--force", "--init-from", "run/model.h5", "--output", "elsewhere.h5"]
        },
        Case("--force --init-from the run's own checkpoint", 64, ["--init-from"]) { f in
            ["train", "exp.toml", "--run-dir", "run", "--force", "--init-from", try checkpoint(f)]
        },
        Case("--output naming the data file", 64, ["data.h5", "data file"]) { _ in
            ["train", "exp.toml", "--run-dir", "new", "--output", "data.h5"]
        },
        Case("--output naming the experiment file", 64, ["exp.toml", "experiment file"]) { _ in
            ["train", "exp.toml", "--run-dir", "new", "--output", "./exp.toml"]
        },
        Case("--output naming the --init-from file", 64, ["model.h5", "--init-from"]) { _ in
            ["train", "exp.toml", "--run-dir", "new", "--init-from", "model.h5", "--output", "model.h5"]
        },
        Case("a folder holding a model that is not a run", 64, ["models", "--force"]) { f in
            try FileManager.default.createDirectory(atPath: "\(f)/models", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/models/model.h5")
            return ["train", "exp.toml", "--run-dir", "models"]
        },
        Case("a second run into a finished run's directory", 64, ["--resume run"]) { _ in
            ["train", "exp.toml", "--run-dir", "run"]
        },
        Case("--resume of a folder that does not exist", 64, ["no-such-run"]) { _ in
            ["train", "--resume", "no-such-run"]
        },
        Case("--resume changing the network", 64, ["model.hidden", "cannot change"]) { _ in
            ["train", "--resume", "run", "--set", "model.hidden=[4]"]
        },
        Case("--resume with fewer epochs than already trained", 64, ["training.epochs"]) { _ in
            ["train", "--resume", "run", "--set", "training.epochs=1"]
        },
        Case("--force with an unknown key", 64, ["optimiser.name"]) { _ in
            ["train", "exp.toml", "--run-dir", "run", "--force", "--set", "optimiser.name=sgd"]
        },
        Case("--force with a TOML syntax error", 64, ["case.toml:"]) { f in
            ["train", try experiment(f, "epochs = = 3"), "--run-dir", "run", "--force"]
        },
        Case("--force with a data file of the wrong width for --init-from", 65, ["model.h5"]) { f in
            _ = try dataset(f, "wide.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g['x'] = np.ones((40, 6), 'f4'); g['y'] = (np.arange(40) % 3).astype('i4')
                """)
            return ["train", try experiment(f, data: "wide.h5"), "--run-dir", "run", "--force", "--init-from", "model.h5"]
        },
    ]

    // MARK: 2. No input, file or environment makes ShardTrain trap

    static let traps: [Case] = [
        Case("the bytes that aborted the C++ TOML parser", 64, ["case.toml"]) { f in
            var bytes: [UInt8] = [0x0A, 0x5B] + [UInt8](repeating: 0x7E, count: 50)
            bytes += Array("train-ing]\nepochs = 9223372036s =8547".utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(f)/case.toml"))
            return ["train", "case.toml"]
        },
        Case("training.epochs = Int.max", 64, ["training.epochs"]) { f in
            ["train", try experiment(f, "epochs = 9223372036854775807")]
        },
        Case("--set training.batch_size near Int.max", 64, ["training.batch_size"]) { _ in
            ["train", "exp.toml", "--set", "training.batch_size=9223372036854775000"]
        },
        Case("schedule.warmup_steps near Int.max", 64, ["schedule.warmup_steps"]) { _ in
            ["train", "exp.toml", "--set", "schedule.warmup_steps=9223372036854775807"]
        },
        Case("schedule.step_epochs near Int.max", 64, ["schedule.step_epochs"]) { _ in
            ["train", "exp.toml", "--set", "schedule.name=step", "--set", "schedule.step_epochs=9223372036854775807"]
        },
        Case("a network that needs terabytes", 64, ["model.hidden", "GB"]) { _ in
            ["train", "exp.toml", "--set", "model.hidden=[16777216,16777216]"]
        },
        Case("a layer wider than any machine", 64, ["model.hidden"]) { _ in
            ["train", "exp.toml", "--set", "model.hidden=[4000000000000]"]
        },
        Case("an integer too large for TOML", 64, ["outside"]) { _ in
            ["train", "exp.toml", "--set", "training.epochs=99999999999999999999999"]
        },
        Case("a label that implies two billion classes", 65, ["label", "classes"]) { f in
            ["train", try experiment(f, data: try dataset(f, "huge-label.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g['x'] = np.ones((40, 4), 'f4'); y = np.zeros(40, 'i4'); y[3] = 2**31 - 1; g['y'] = y
                """))]
        },
        Case("zero-width features", 65, ["/train/x", "no features"]) { f in
            ["train", try experiment(f, data: try dataset(f, "zero-width.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g['x'] = np.ones((40, 0), 'f4'); g['y'] = np.zeros(40, 'i4')
                """))]
        },
        Case("a split claiming a terabyte in a small file", 65, ["/train/x", "no data in the file"]) { f in
            ["train", try experiment(f, data: try dataset(f, "terabyte.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g.create_dataset('x', shape=(2**30, 1024), dtype='f4', chunks=(64, 1024))
                    g.create_dataset('y', shape=(2**30,), dtype='i4', chunks=(4096,))
                """))]
        },
        Case("a split claiming 100 MB of never-written chunks", 65, ["/train/x", "never written"]) { f in
            ["train", try experiment(f, data: try dataset(f, "unwritten.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g.create_dataset('x', shape=(32768, 784), dtype='f4', chunks=(256, 784))
                    g['y'] = np.zeros(32768, 'i4')
                """))]
        },
        Case("dimensions whose row width overflows", 65, ["/train/x", "overflows"]) { f in
            ["train", try experiment(f, data: try dataset(f, "overflow.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g.create_dataset('x', shape=(4, 2**31, 2**31, 2**31), dtype='u1', chunks=(1, 1, 1, 64))
                    g['y'] = np.zeros(4, 'i4')
                """))]
        },
        Case("arrays nested 100000 deep", 64, ["nested"]) { f in
            ["train", try experiment(f, hidden: String(repeating: "[", count: 100_000))]
        },
        Case("an experiment file of random bytes", 64, ["case.toml"]) { f in
            var generator = SystemRandomNumberGenerator()
            try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
                .write(to: URL(fileURLWithPath: "\(f)/case.toml"))
            return ["train", "case.toml"]
        },
        Case("a data file of random bytes", 65, ["garbage.h5"]) { f in
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: URL(fileURLWithPath: "\(f)/garbage.h5"))
            return ["train", try experiment(f, data: "garbage.h5")]
        },
        Case("a truncated data file", 65, ["cut.h5"]) { f in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(f)/data.h5"))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(f)/cut.h5"))
            return ["train", try experiment(f, data: "cut.h5")]
        },
        Case("a model file declaring enormous layers", 65, ["layer_sizes"]) { f in
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/enormous.h5")
            try python(f, "with h5py.File('enormous.h5', 'a') as m: m.attrs['layer_sizes'] = np.array([4, 2**40, 3], 'i8')")
            return ["eval", "enormous.h5"]
        },
        Case("an IDX file whose dimensions overflow", 65, ["IDX"]) { f in
            try FileManager.default.createDirectory(atPath: "\(f)/idx", withIntermediateDirectories: true)
            for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
                try Data([0, 0, 8, 4] + [UInt8](repeating: 0xFF, count: 16)).write(to: URL(fileURLWithPath: "\(f)/idx/\(name)"))
            }
            return ["import", "fashion-mnist", "--from", "idx", "--out", "imported.h5"]
        },
    ]

    // MARK: 3. A nonsense value does not train

    static let nonsenseValues: [Case] = [
        ("optimizer.momentum=-0.5", "optimizer.momentum"), ("optimizer.momentum=1.0", "optimizer.momentum"),
        ("schedule.gamma=-1", "schedule.gamma"), ("schedule.gamma=nan", "schedule.gamma"),
        ("schedule.min_learning_rate=-0.1", "schedule.min_learning_rate"),
        ("optimizer.weight_decay=nan", "optimizer.weight_decay"), ("optimizer.weight_decay=-1", "optimizer.weight_decay"),
        ("optimizer.learning_rate=0", "optimizer.learning_rate"), ("optimizer.learning_rate=inf", "optimizer.learning_rate"),
        ("optimizer.beta1=1.0", "optimizer.beta1"), ("optimizer.beta2=-0.1", "optimizer.beta2"),
        ("optimizer.epsilon=0", "optimizer.epsilon"), ("training.epochs=0", "training.epochs"),
        ("training.workers=-1", "training.workers"), ("training.shard_rows=-3", "training.shard_rows"),
        ("checkpoint.keep=0", "checkpoint.keep"), ("checkpoint.every_epochs=0", "checkpoint.every_epochs"),
        ("model.activation=relux", "model.activation"), ("optimizer.name=sgdd", "optimizer.name"),
        ("model.hidden=[8,0]", "model.hidden"),
    ].map { override, key in
        Case("--set \(override)", 64, [key, "--set"]) { _ in ["train", "exp.toml", "--set", override] }
    } + [
        Case("a cosine minimum above the rate", 64, ["schedule.min_learning_rate"]) { _ in
            ["train", "exp.toml", "--set", "schedule.name=cosine", "--set", "schedule.min_learning_rate=1.0"]
        },
        Case("a uint8 scale of 0", 65, ["scale"]) { f in try uint8Case(f, scale: "0.0") },
        Case("a negative uint8 scale", 65, ["scale"]) { f in try uint8Case(f, scale: "-1.0") },
        Case("a NaN uint8 scale", 65, ["scale"]) { f in try uint8Case(f, scale: "float('nan')") },
        Case("float labels under cross-entropy", 65, ["cross-entropy", "mse"]) { f in
            ["train", try experiment(f, data: try dataset(f, "float-labels.h5", """
                  for s in ['train', 'test']:
                    g = f.create_group(s); g['x'] = np.ones((40, 4), 'f4'); g['y'] = (np.arange(40) % 3).astype('f4')
                """))]
        },
    ]

    static func uint8Case(_ folder: String, scale: String) throws -> [String] {
        let name = try dataset(folder, "uint8.h5", """
              for s in ['train', 'test']:
                g = f.create_group(s); g['x'] = np.ones((40, 4), 'u1'); g['x'].attrs['scale'] = \(scale); g['y'] = (np.arange(40) % 3).astype('i4')
            """)
        return ["train", try experiment(folder, data: name)]
    }

    // MARK: 4. Readers verify what they read

    static let trustingReaders: [Case] = [
        Case("eval of a checkpoint whose checksum fails", 65, ["checksum"]) { f in
            let path = try checkpoint(f)
            try FileManager.default.copyItem(atPath: "\(f)/\(path)", toPath: "\(f)/flipped.h5")
            try python(f, "with h5py.File('flipped.h5', 'a') as c: w = c['model/dense0/weight']; w[0, 0] = w[0, 0] + 1")
            return ["eval", "flipped.h5"]
        },
        Case("--init-from a checkpoint whose checksum fails", 65, ["checksum"]) { f in
            let path = try checkpoint(f)
            try FileManager.default.copyItem(atPath: "\(f)/\(path)", toPath: "\(f)/flipped.h5")
            try python(f, "with h5py.File('flipped.h5', 'a') as c: c['training'].attrs['step'] = 9")
            return ["train", "exp.toml", "--run-dir", "new", "--init-from", "flipped.h5"]
        },
        // Found by FuzzModelFile: a history count past Int.max trapped converting it to Int.
        Case("eval of a checkpoint whose history holds an epoch past Int.max", 65, ["/metrics/epoch", "not a count"]) { f in
            let path = try checkpoint(f)
            try FileManager.default.copyItem(atPath: "\(f)/\(path)", toPath: "\(f)/epochs.h5")
            try python(f, "with h5py.File('epochs.h5', 'a') as c: c['metrics/epoch'][0] = 8.98846567431158e307")
            return ["eval", "epochs.h5"]
        },
        Case("--init-from a checkpoint whose history holds a step of -2.5", 65, ["/metrics/step", "not a count"]) { f in
            let path = try checkpoint(f)
            try FileManager.default.copyItem(atPath: "\(f)/\(path)", toPath: "\(f)/steps.h5")
            try python(f, "with h5py.File('steps.h5', 'a') as c: c['metrics/step'][0] = -2.5")
            return ["train", "exp.toml", "--run-dir", "new", "--init-from", "steps.h5"]
        },
        Case("eval of a model of an unknown format version", 65, ["version"]) { f in
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/v99.h5")
            try python(f, "with h5py.File('v99.h5', 'a') as m: m.attrs['version'] = np.int64(99)")
            return ["eval", "v99.h5"]
        },
        Case("eval of a model with a NaN weight", 65, ["nan", "finite"]) { f in
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/nan.h5")
            try python(f, "with h5py.File('nan.h5', 'a') as m: m['model/dense1/weight'][2, 1] = np.nan")
            return ["eval", "nan.h5"]
        },
        Case("--init-from a model with an infinite bias", 65, ["finite"]) { f in
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/inf.h5")
            try python(f, "with h5py.File('inf.h5', 'a') as m: m['model/dense0/bias'][0] = np.inf")
            return ["train", "exp.toml", "--run-dir", "new", "--init-from", "inf.h5"]
        },
        Case("eval of an HDF5 file that is not a model", 65, ["data.h5", "format"]) { _ in ["eval", "data.h5"] },
        Case("eval of a directory", 65, ["directory"]) { _ in ["eval", "run"] },
        Case("--init-from a model of other layers", 65, ["layers"]) { _ in
            ["train", "exp.toml", "--run-dir", "new", "--init-from", "model.h5", "--set", "model.hidden=[5]"]
        },
        Case("eval of a model missing its loss attribute", 65, ["'loss'"]) { f in
            try FileManager.default.copyItem(atPath: "\(f)/model.h5", toPath: "\(f)/noloss.h5")
            try python(f, "with h5py.File('noloss.h5', 'a') as m: del m.attrs['loss']")
            return ["eval", "noloss.h5"]
        },
        Case("eval of a truncated checkpoint", 65, ["cut-checkpoint.h5"]) { f in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(f)/\(try checkpoint(f))"))
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: "\(f)/cut-checkpoint.h5"))
            return ["eval", "cut-checkpoint.h5"]
        },
    ]

    // MARK: 5. Every error names the thing, the cause and the fix, on one line

    static let unclearErrors: [Case] = [
        Case("--workers -1", 64, ["training.workers"]) { _ in ["train", "exp.toml", "--workers", "-1"] },
        Case("an experiment path that is a directory", 64, ["run", "directory"]) { _ in ["train", "run"] },
        Case("an experiment path that is a symlink loop", 64, ["loop.toml", "symbolic link loop"]) { f in
            try FileManager.default.createSymbolicLink(atPath: "\(f)/loop.toml", withDestinationPath: "loop.toml")
            return ["train", "loop.toml"]
        },
        Case("a data path that is a symlink loop", 65, ["loop.h5", "symbolic link loop"]) { f in
            try FileManager.default.createSymbolicLink(atPath: "\(f)/loop.h5", withDestinationPath: "loop.h5")
            return ["train", try experiment(f, data: "loop.h5")]
        },
        Case("a data path that is a directory", 65, ["run", "directory"]) { f in
            ["train", try experiment(f, data: "run")]
        },
        Case("a --set value out of range is blamed on --set", 64, ["--set", "training.epochs"]) { _ in
            ["train", "exp.toml", "--set", "training.epochs=-4"]
        },
        Case("an experiment value out of range names the file", 64, ["case.toml", "optimizer.beta1"]) { f in
            ["train", try experiment(f, "[optimizer]\nbeta1 = 2.0")]
        },
        Case("a wrong type names the key and the type", 64, ["training.seed", "an integer"]) { f in
            ["train", try experiment(f, "seed = \"ten\"")]
        },
        Case("an unknown subcommand", 64, ["trian"]) { _ in ["trian", "exp.toml"] },
        Case("a missing split names the groups found", 65, ["validation", "train"]) { _ in
            ["train", "exp.toml", "--set", "data.test_split=validation"]
        },
    ]

    /// Every regular file under `folder` with its bytes.
    static func snapshot(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(folder)/\(relative)"
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
               let data = FileManager.default.contents(atPath: path) {
                files[relative] = data
            }
        }
        return files
    }

    @Test(arguments: cases)
    func failsCleanlyAndKeepsEveryFile(_ testCase: Case) throws {
        let folder = temporaryPath("matrix-case")
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: folder)
        let arguments = try testCase.prepare(folder)
        let before = Self.snapshot(folder)
        let run = try shardtrain(arguments, in: folder)

        #expect(run.status == testCase.status, "\(testCase.name): exit \(run.status), stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(testCase.name): stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("shardtrain: error: "), "\(testCase.name): stderr: \(run.stderr)")
        for text in testCase.mentions {
            #expect(run.stderr.contains(text), "\(testCase.name): \(run.stderr) should mention \(text)")
        }
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"))
        let after = Self.snapshot(folder)
        for (path, data) in before {
            #expect(after[path] == data, "\(testCase.name): \(path) was \(after[path] == nil ? "deleted" : "changed")")
        }
        for path in after.keys where before[path] == nil {
            #expect(path.hasSuffix(".lock"), "\(testCase.name): \(path) was created")
        }
    }

    @Test func theMatrixCoversEveryClassWidely() {
        #expect(Self.cases.count >= 60)
        for group in [Self.destroyingWork, Self.traps, Self.nonsenseValues, Self.trustingReaders, Self.unclearErrors] {
            #expect(group.count >= 8)
        }
    }
}
