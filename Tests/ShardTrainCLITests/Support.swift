import Foundation
import ShardCore
import ShardHDF5
import ShardTestSupport
import Synchronization

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

/// A child's stderr, collected on a thread of its own as it arrives, so a test can wait for a
/// line the binary prints at a known point (a readiness line, such as `training ...` once the
/// signal handlers are installed and the first step is next, or an epoch line) instead of
/// sleeping for a guessed time.
final class StandardErrorLines: Sendable {
    private let received = Mutex<(data: Data, ended: Bool)>((Data(), false))

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                received.withLock { if chunk.isEmpty { $0.ended = true } else { $0.data.append(chunk) } }
                if chunk.isEmpty { return }
            }
        }.start()
    }

    /// Everything received so far.
    var text: String { String(decoding: received.withLock { $0.data }, as: UTF8.self) }

    /// The first complete line containing `marker`, as soon as it has arrived; nil when the
    /// child closed its stderr (exited) without printing one, or `timeout` passed.
    func waitForLine(containing marker: String, timeout: Duration = .seconds(180)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (data, ended) = received.withLock { ($0.data, $0.ended) }
            let text = String(decoding: data, as: UTF8.self)
            let complete = text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1)
            if let line = complete.first(where: { $0.contains(marker) }) { return String(line) }
            if ended { return nil }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return nil
    }

    /// Everything, once the child has closed its stderr.
    func waitForEnd() -> String {
        while !received.withLock({ $0.ended }) { Thread.sleep(forTimeInterval: 0.001) }
        return text
    }
}
