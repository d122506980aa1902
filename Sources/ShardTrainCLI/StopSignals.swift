import Dispatch
import Foundation
import ShardTraining
import Synchronization

/// SIGINT and SIGTERM handling for `train`: the first signal asks the trainer to stop after
/// the current step (it then saves a checkpoint and exits 130 or 143); a second SIGINT exits
/// at once with 130, leaving the newest complete checkpoint as it was (checkpoints are
/// written atomically).
final class StopSignals: TrainingObserver {
    /// The first signal's number, 0 until one came; set on Dispatch's queue, read by the trainer.
    private final class Request: Sendable {
        let signal = Atomic<Int32>(0)
    }

    private let request: Request
    /// Kept so the sources stay installed for the life of the run.
    private let sources: [DispatchSourceSignal]

    private init(request: Request, sources: [DispatchSourceSignal]) {
        self.request = request
        self.sources = sources
    }

    static func install() -> StopSignals {
        let request = Request()
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInteractive))
            source.setEventHandler { [request] in
                let (exchanged, _) = request.signal.compareExchange(
                    expected: 0, desired: number, ordering: .sequentiallyConsistent)
                if !exchanged && number == SIGINT {
                    _exit(130)
                }
            }
            source.resume()
            return source
        }
        return StopSignals(request: request, sources: sources)
    }

    /// The signal that asked to stop, or nil. One atomic load: cheap enough for every step.
    func stopRequested() -> Int32? {
        let value = request.signal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
