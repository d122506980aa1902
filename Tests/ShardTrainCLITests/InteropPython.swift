import Foundation
import ShardTestSupport

/// The Python that has onnx, onnxruntime and tensorboard: $SHARDTRAIN_INTEROP_PYTHON, else the
/// environment scripts/install-test-deps.sh makes in .build/interop-python. A missing one
/// fails the interop tests (CI installs it); SHARDTRAIN_SKIP_INTEROP=1 skips them instead.
enum InteropPython {
    static let isSkipped = ProcessInfo.processInfo.environment["SHARDTRAIN_SKIP_INTEROP"] == "1"

    static var path: String {
        ProcessInfo.processInfo.environment["SHARDTRAIN_INTEROP_PYTHON"]
            ?? "\(repositoryRoot)/.build/interop-python/bin/python3"
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "no Python with onnx, onnxruntime and tensorboard at \(InteropPython.path): run scripts/install-test-deps.sh (or set SHARDTRAIN_SKIP_INTEROP=1 to skip these tests)"
        }
    }

    /// Runs Tests/Interop/`script` with `arguments`; throws `Missing` when the interpreter is.
    static func run(_ script: String, _ arguments: [String]) throws -> RunResult {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing() }
        return try runProcess(path, ["\(repositoryRoot)/Tests/Interop/\(script)"] + arguments)
    }
}
