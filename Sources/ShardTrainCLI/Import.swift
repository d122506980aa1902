import ArgumentParser
import Foundation
import ShardData

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a dataset into ShardTrain's HDF5 format.",
        discussion: "npy and csv convert files of any size in bounded memory (datasets/README.md).",
        subcommands: [ImportFashionMNIST.self, ImportNpy.self, ImportCSV.self])
}

struct ImportFashionMNIST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist",
        abstract: "Convert the Fashion-MNIST IDX files into datasets/fashion-mnist.h5.",
        discussion: "The IDX files come with Debian's dataset-fashion-mnist package.")

    @Option(help: "The folder holding the four IDX .gz files.")
    var from = FashionMNISTImporter.defaultSourceFolder

    @Option(help: "The HDF5 file to write.")
    var out = "datasets/fashion-mnist.h5"

    func run() throws {
        guard FileManager.default.fileExists(atPath: from) else {
            throw CommandFailure(
                code: FailureReport.data,
                message: "\(from) does not exist; install Debian's dataset-fashion-mnist package or pass --from with the folder of the IDX files")
        }
        createFolder(of: out)
        let summary = try FashionMNISTImporter.run(from: from, to: out)
        print("wrote \(out): \(summary.trainRows) train and \(summary.testRows) test samples")
    }
}

struct ImportNpy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "npy",
        abstract: "Convert numpy .npy arrays (features X, labels or targets Y) into a dataset file.",
        discussion: "X is N x D (or N x ...); Y is N integer labels, or N / N x K float targets. Features become uint8 when every value is an integer 0-255, float32 otherwise.")

    @Argument(help: "The train features, N x D.") var x: String
    @Argument(help: "The train labels (N) or targets (N x K).") var y: String
    @Option(name: .customLong("test-x"), help: "The test features.") var testX: String?
    @Option(name: .customLong("test-y"), help: "The test labels or targets.") var testY: String?
    @OptionGroup var output: ImportOutput

    func validate() throws {
        guard (testX == nil) == (testY == nil) else { throw ValidationError("give --test-x and --test-y together") }
    }

    func run() throws {
        var splits: [(name: String, source: any ArrayImporter.Source)] = [("train", try NpyPair(features: x, targets: y))]
        if let testX, let testY { splits.append(("test", try NpyPair(features: testX, targets: testY))) }
        try importSplits(splits, to: output.out, quiet: output.quiet)
    }
}

struct ImportCSV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Convert a CSV file with a header row into a dataset file.",
        discussion: "Every column but the label column is a feature (a number). Labels that are all non-negative integers become class indices; names become classes in sorted order; other numbers become float targets.")

    @Argument(help: "The train CSV file.") var file: String
    @Option(name: .customLong("label-column"), help: "The name of the label (or target) column.") var labelColumn: String
    @Option(help: "A test CSV file with the same columns.") var test: String?
    @OptionGroup var output: ImportOutput

    func run() throws {
        let train = try CSVTable(path: file, labelColumn: labelColumn)
        var splits: [(name: String, source: any ArrayImporter.Source)] = [("train", train)]
        if let test {
            let table = try CSVTable(path: test, labelColumn: labelColumn)
            guard table.columns == train.columns else {
                throw CommandFailure(code: FailureReport.data, message: "\(test): its columns differ from \(file)'s; the test file needs the same header")
            }
            if train.classNames != nil || table.classNames != nil {
                try table.useClassNames(train.classNames)
            }
            splits.append(("test", table))
        }
        try importSplits(splits, to: output.out, quiet: output.quiet)
    }
}

/// Where an import writes, shared by `import npy` and `import csv`.
struct ImportOutput: ParsableArguments {
    @Option(help: "The HDF5 file to write (written under a temporary name, renamed when complete).")
    var out: String
    @Flag(help: "No progress bar.") var quiet = false
}

/// Writes the splits with a progress bar on a terminal, then one line on stdout.
private func importSplits(_ splits: [(name: String, source: any ArrayImporter.Source)], to out: String,
                          quiet: Bool) throws {
    createFolder(of: out)
    let drawBar = !quiet && isatty(2) != 0
    var shown = -1
    let summary = try ArrayImporter.write(splits: splits, to: out) { fraction in
        let percent = Int(fraction * 100)
        guard drawBar, percent != shown else { return }
        shown = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        var line = "\rimporting [\(bar)] \(percent)%"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
    if drawBar { printToStandardError("") }
    let rows = summary.splits.map { "\($0.rows) \($0.name)" }.joined(separator: " and ")
    print("wrote \(out): \(rows) samples, x \(summary.featureType), y \(summary.targetType)")
    if !summary.splits.contains(where: { $0.name == "test" }) {
        printToStandardError("shardtrain: note: no test split written; training evaluates data.test_split (default \"test\"): import one with --test\(splits.first?.source is NpyPair ? "-x/--test-y" : "")")
    }
}

private func createFolder(of path: String) {
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
}
