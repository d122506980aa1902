import ArgumentParser
import Foundation
import ShardData

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a public dataset into ShardTrain's HDF5 format.",
        subcommands: [ImportFashionMNIST.self])
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
        let folder = (out as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let summary = try FashionMNISTImporter.run(from: from, to: out)
        print("wrote \(out): \(summary.trainRows) train and \(summary.testRows) test samples")
    }
}
