import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport

/// The `shardtrain` binary SwiftPM built next to this test bundle.
let shardtrainBinary: String = {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    // The bundle may be a folder (x.xctest/...) on some layouts: walk up to where shardtrain is.
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("shardtrain").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return "\(repositoryRoot)/.build/debug/shardtrain"
}()

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// Runs the real binary, as a user would, from `directory`.
func shardtrain(_ arguments: [String], in directory: String? = nil,
                environment: [String: String] = [:]) throws -> RunResult {
    try runProcess(shardtrainBinary, arguments, in: directory, environment: environment)
}

/// Runs `executable` to its end, stdout and stderr captured.
func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil,
                environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    // A fresh working folder by default, so relative paths (runs/...) stay out of the tree.
    let folder = directory ?? temporaryPath("cwd")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    nonisolated(unsafe) var errorData = Data()
    let reader = Thread { errorData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outputData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outputData, as: UTF8.self),
                     stderr: String(decoding: errorData, as: UTF8.self))
}

/// A small experiment file over `data`.
func writeExperiment(data: String, extra: String = "") throws -> String {
    let path = temporaryPath("tiny.toml")
    let text = """
        [data]
        path = "\(data)"
        [model]
        hidden = [8]
        [training]
        epochs = 3
        batch_size = 16
        \(extra)
        """
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
