import Foundation

/// The checkpoints of one run directory, in `<run>/checkpoints/step-<step>.h5`: writes them
/// atomically, keeps the newest `keep` plus the best (the checkpoint at the end of the best
/// epoch by `selection`, from the history the newest checkpoint carries; none without
/// validation data, since the test split never chooses), and finds the newest one that reads
/// back intact.
public final class CheckpointStore {
    public let runDirectory: String
    public let directory: String
    public let everySteps: Int
    public let everyEpochs: Int
    public let keep: Int
    /// What "best" means for the checkpoint kept beyond the newest; nil keeps none.
    public let selection: ModelSelection?

    public init(runDirectory: String, everySteps: Int, everyEpochs: Int, keep: Int,
                selection: ModelSelection? = nil) {
        self.selection = selection
        self.runDirectory = runDirectory
        directory = "\(runDirectory)/checkpoints"
        self.everySteps = everySteps
        self.everyEpochs = everyEpochs
        self.keep = keep
    }

    public func path(forStep step: Int) -> String {
        "\(directory)/step-\(String(repeating: "0", count: max(0, 9 - String(step).count)))\(step).h5"
    }

    /// The checkpoint files present, oldest first.
    public func files() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5"),
                  let step = Int(name.dropFirst(5).dropLast(3)) else { return nil }
            return (step, "\(directory)/\(name)")
        }.sorted { $0.0 < $1.0 }
    }

    /// Writes `checkpoint`, then deletes what the policy no longer keeps. Returns its path.
    @discardableResult
    public func save(_ checkpoint: Checkpoint) throws(CheckpointError) -> String {
        precondition(keep >= 1, "a store keeps at least the newest checkpoint")
        let path = path(forStep: checkpoint.state.step)
        try checkpoint.write(to: path)
        prune(keepingStep: selection?.best(checkpoint.state.history)?.step)
        return path
    }

    /// Keeps the newest `keep` files and the one of `bestStep`; removes the rest.
    func prune(keepingStep bestStep: Int?) {
        let all = files()
        guard all.count > keep else { return }
        let newest = Set(all.suffix(keep).map(\.path))
        for file in all where !newest.contains(file.path) && file.step != bestStep {
            unlink(file.path)
        }
    }

    /// The newest checkpoint that reads back intact; each newer damaged one is reported
    /// through `warn` and skipped.
    public func newestValid(warn: (String) -> Void) throws(CheckpointError) -> Checkpoint {
        let all = files()
        guard !all.isEmpty else {
            throw .nothingToResume(directory: runDirectory, reason: "no checkpoints in \(directory); start the run with `shardtrain train EXPERIMENT --run-dir \(runDirectory)`")
        }
        for file in all.reversed() {
            do {
                return try Checkpoint.read(from: file.path)
            } catch {
                warn("warning: skipping \(file.path): \(error.description)")
            }
        }
        throw .nothingToResume(directory: runDirectory, reason: "none of its \(all.count) checkpoints is readable")
    }

    /// Removes the temporary files a writer killed mid-write left behind. Only for the holder
    /// of the run directory's lock: nobody else can be writing one.
    public func removeTemporaryFiles() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix(".step-") {
            unlink("\(directory)/\(name)")
        }
    }

    /// Removes every checkpoint (and temporary files a killed writer left behind).
    public func removeAll() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix("step-") || name.hasPrefix(".step-") {
            unlink("\(directory)/\(name)")
        }
    }
}
