import Foundation
import ShardTestSupport
import Testing
@testable import ShardCheckpoint
@testable import ShardConfig
@testable import ShardTraining

/// Checkpoints of format 1 (which stored the epoch's order) still resume: the rest of a
/// started epoch runs in its stored order, exactly as the version that wrote it would have.
/// Tests/Fixtures/checkpoint-v1 holds a run of `experiment.toml` by that version (commit
/// 2203dcd): step 3 (mid-epoch) and step 8 (the epoch's end).
struct CheckpointVersion1Tests {
    let folder = "\(fixtures)/checkpoint-v1"

    @Test func aMidEpochVersion1CheckpointFinishesItsEpochAsTheOldVersionDid() throws {
        let start = try Checkpoint.read(from: "\(folder)/step-000000003.h5")
        #expect(start.state.position == 48 && start.state.trainRows == 120)
        #expect(start.state.legacyOrder?.count == 120)
        let end = try Checkpoint.read(from: "\(folder)/step-000000008.h5")
        #expect(end.state.legacyOrder == nil)  // taken at the epoch's end: nothing to replay

        let experiment = try ExperimentLoader.load(
            text: start.model.experimentTOML, name: "v1", source: "test",
            overrides: ["data.path=\"\(folder)/v1-blobs.h5\"", "output.model=\"\(temporaryPath("model.h5"))\""])
        let trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
        try trainer.restore(from: start)
        _ = try trainer.run()
        // The fixture was written on another machine, whose OpenBLAS kernels (AVX-512) round a
        // product differently from AVX2's in the last bit: equal to float precision, not
        // bitwise. A wrong order of rows would differ in the first digits.
        let weights = trainer.parameters.array, expected = end.model.parameters.array
        #expect(weights.count == expected.count)
        #expect(zip(weights, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        let losses = trainer.state.history.map(\.trainLoss), expectedLosses = end.state.history.map(\.trainLoss)
        #expect(losses.count == expectedLosses.count)
        #expect(zip(losses, expectedLosses).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
        #expect(trainer.state.legacyOrder == nil)
    }

    @Test func aVersion1CheckpointMidEpochNeedsMemoryLoading() throws {
        let start = try Checkpoint.read(from: "\(folder)/step-000000003.h5")
        let experiment = try ExperimentLoader.load(
            text: start.model.experimentTOML, name: "v1", source: "test",
            overrides: ["data.path=\"\(folder)/v1-blobs.h5\"", "data.loading=\"stream\""])
        let trainer = try Trainer(experiment: experiment, data: try PreparedData.load(experiment))
        try trainer.restore(from: start)
        #expect(throws: CheckpointError.self) { try trainer.run() }
    }
}
