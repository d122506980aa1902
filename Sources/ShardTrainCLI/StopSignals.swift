import Dispatch
import Foundation
import ShardTraining
import Synchronization

/// SIGINT and SIGTERM handling for `train`: the first signal asks the trainer to stop after
/// the current step (it then saves a checkpoint and exits 130 or 143); a second SIGINT exits
/// at once with 130, leaving the newest complete checkpoint as it was (checkpoints are
/// written atomically).
final class StopSignals: TrainingObserver, @unchecked Sendable {
    private let requested = Atomic<Int32>(0)
    private var sources: [DispatchSourceSignal] = []

    static func install() -> StopSignals {
        let handler = StopSignals()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInteractive))
            source.setEventHandler { [handler] in
                let (exchanged, _) = handler.requested.compareExchange(
                    expected: 0, desired: number, ordering: .sequentiallyConsistent)
                if !exchanged && number == SIGINT {
                    _exit(130)
                }
            }
            source.resume()
            handler.sources.append(source)
        }
        return handler
    }

    /// The signal that asked to stop, or nil. One atomic load: cheap enough for every step.
    func stopRequested() -> Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
