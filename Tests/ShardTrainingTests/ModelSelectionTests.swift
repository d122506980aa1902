import Testing
@testable import ShardCheckpoint
@testable import ShardTraining

/// The one definition of "best" and of when early stopping ends a run, on crafted histories.
struct ModelSelectionTests {
    @Test func bestIsTheFirstEpochThatBeatsEveryEarlierOneByMoreThanMinDelta() {
        let loss = ModelSelection(monitor: .validationLoss)
        #expect(loss.standing([0.9, 0.7, 0.8, 0.7, 0.75]) == .init(best: 1, epochsWithoutImprovement: 3))
        let delta = ModelSelection(monitor: .validationLoss, minDelta: 0.05)
        // 0.7 -> 0.68 is an improvement of 0.02 only: epoch 1 stays the best.
        #expect(delta.standing([0.9, 0.7, 0.68, 0.64]) == .init(best: 3, epochsWithoutImprovement: 0))
        #expect(delta.standing([0.9, 0.7, 0.68, 0.66]) == .init(best: 1, epochsWithoutImprovement: 2))
        let accuracy = ModelSelection(monitor: .validationAccuracy)
        #expect(accuracy.standing([0.80, 0.85, 0.85, 0.84]) == .init(best: 1, epochsWithoutImprovement: 2))
        #expect(loss.standing([nil, nil] as [Double?]).best == nil)
        #expect(loss.standing([] as [Double?]) == .init(best: nil, epochsWithoutImprovement: 0))
    }

    @Test func earlyStoppingEndsTheRunAfterPatienceEpochsWithoutImprovement() {
        let selection = ModelSelection(monitor: .validationLoss, minDelta: 0, patience: 2)
        let values: [Double?] = [0.9, 0.6, 0.7, 0.65, 0.5]
        // After epoch 2 (index 1) the best; epochs 3 and 4 do not improve: stop after epoch 4.
        let stops = (1...values.count).map { selection.shouldStop(Array(values.prefix($0))) }
        #expect(stops == [false, false, false, true, false])
        #expect(!ModelSelection(monitor: .validationLoss, patience: 0).shouldStop([0.1, 0.2, 0.3, 0.4]))
        // Without validation values nothing is best and nothing stops the run.
        #expect(!selection.shouldStop([nil, nil, nil] as [Double?]))
    }
}
