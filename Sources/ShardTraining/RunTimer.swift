import ShardCheckpoint
import ShardCore

/// The run's two clocks: training time (updates only: evaluation and checkpoint writing are
/// skipped) and wall time, both carried across resumed segments in `TrainingState`.
struct RunTimer {
    private let clock = ContinuousClock()
    private let segmentStart: ContinuousClock.Instant
    private let wallBefore: Double
    /// Training time not yet added to the state starts here.
    private var accounted: ContinuousClock.Instant

    init(state: TrainingState) {
        segmentStart = clock.now
        accounted = segmentStart
        wallBefore = state.wallSeconds
    }

    var now: ContinuousClock.Instant { clock.now }

    /// Adds the training time since the last call to `state`, and sets its wall time.
    mutating func account(into state: inout TrainingState) {
        let now = clock.now
        state.trainingSeconds += (now - accounted).totalSeconds
        state.wallSeconds = wallBefore + (now - segmentStart).totalSeconds
        accounted = now
    }

    /// The time since the last call is not training time.
    mutating func skip() { accounted = clock.now }
}
