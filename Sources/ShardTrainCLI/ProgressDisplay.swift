import Foundation
import ShardCore
import ShardCheckpoint
import ShardTraining

/// Progress on stderr: on a terminal a live bar (epoch, step of steps, loss, samples/s, ETA)
/// redrawn at most 10 times a second, and one line per epoch; elsewhere (a log file, a
/// pipe) the epoch lines only. Nothing with --quiet. Never stdout.
final class ProgressDisplay: TrainingObserver {
    let quiet: Bool
    let isTerminal = isatty(2) == 1
    private let clock = ContinuousClock()
    private var lastDraw = ContinuousClock.now
    private var segmentStart = ContinuousClock.now
    private var stepsAtStart = 0
    private var barShown = false

    init(quiet: Bool) {
        self.quiet = quiet
    }

    /// The opening line, and the bar's starting point.
    func started(_ trainer: Trainer) {
        segmentStart = clock.now
        stepsAtStart = trainer.state.step
        guard !quiet else { return }
        let e = trainer.experiment
        let resuming = trainer.state.step > 0
            ? ", resuming at step \(trainer.state.step) (epoch \(trainer.state.epoch))" : ""
        printToStandardError(
            "training \(e.name): \(trainer.network.layerSizes.map(String.init).joined(separator: "-")) "
            + "\(e.activation.rawValue), \(trainer.network.parameterCount) parameters, "
            + "\(trainer.data.train.rowCount) train / "
            + (trainer.data.validation.map { "\($0.rowCount) validation / " } ?? "")
            + "\(trainer.data.test.rowCount) test samples, "
            + "\(e.epochs) epochs of \(trainer.stepsPerEpoch) steps, \(layout(trainer)), "
            + "data \(dataPlacement(trainer))\(resuming)")
    }

    /// `in memory`, `streamed`, or on ranks with the test split in memory `train rows streamed
    /// per rank, evaluation in memory`.
    private func dataPlacement(_ trainer: Trainer) -> String {
        let evaluation = trainer.data.loading == .stream ? "streamed" : "in memory"
        guard (trainer.group?.rankCount ?? 1) > 1 else { return evaluation }
        return "train rows streamed per rank, evaluation \(evaluation)"
    }

    /// `2 workers`, or on MPI ranks `3 ranks x 2 workers`.
    private func layout(_ trainer: Trainer) -> String {
        let ranks = trainer.group?.rankCount ?? 1
        return (ranks > 1 ? "\(ranks) ranks x " : "") + "\(trainer.workerCount) workers"
    }

    func epochEnded(_ report: EpochReport, trainer: Trainer) {
        guard !quiet else { return }
        clearBar()
        printToStandardError(report.line)
    }

    func stepEnded(_ trainer: Trainer) {
        guard !quiet, isTerminal else { return }
        let now = clock.now
        guard now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        draw(trainer, now: now)
    }

    private func draw(_ trainer: Trainer, now: ContinuousClock.Instant) {
        let state = trainer.state
        let e = trainer.experiment
        let perEpoch = trainer.stepsPerEpoch
        let stepInEpoch = (state.position + e.batchSize - 1) / e.batchSize
        let seconds = (now - segmentStart).totalSeconds
        let stepsDone = state.step - stepsAtStart
        let rate = seconds > 0 ? Double(stepsDone * e.batchSize) / seconds : 0
        let remaining = e.epochs * perEpoch - state.step
        let eta = stepsDone > 0 ? Double(remaining) * seconds / Double(stepsDone) : 0
        let width = 24
        let filled = min(width, width * stepInEpoch / max(perEpoch, 1))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let loss = state.position > 0 ? state.epochLossSum / Double(state.position) : 0
        let line = "epoch \(state.epoch)/\(e.epochs) [\(bar)] step \(stepInEpoch)/\(perEpoch)  loss \(String(format: "%.4f", loss))  \(Int(rate)) samples/s  ETA \(Self.duration(eta))"
        var text = "\r" + line + "\u{1B}[K"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        barShown = true
    }

    private func clearBar() {
        guard barShown else { return }
        var text = "\r\u{1B}[K"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        barShown = false
    }

    func finish() { clearBar() }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
