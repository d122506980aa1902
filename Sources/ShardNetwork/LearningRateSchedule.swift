#if canImport(Glibc)
import Glibc
#endif

/// The learning rate as a function of the update index (0-based): an optional linear warm-up,
/// then constant, step decay or cosine decay.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        case constant
        /// Multiply by `gamma` every `everySteps` updates (counted after warm-up).
        case step(everySteps: Int, gamma: Float)
        /// Half a cosine from the base rate down to `minimum` over `totalSteps` updates
        /// (warm-up included in the total).
        case cosine(totalSteps: Int, minimum: Float)
    }

    public var baseRate: Float
    public var decay: Decay
    public var warmupSteps: Int

    public init(baseRate: Float, decay: Decay = .constant, warmupSteps: Int = 0) {
        self.baseRate = baseRate
        self.decay = decay
        self.warmupSteps = warmupSteps
    }

    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps {
            return baseRate * Float(step + 1) / Float(warmupSteps)
        }
        let afterWarmup = step - warmupSteps
        switch decay {
        case .constant:
            return baseRate
        case .step(let everySteps, let gamma):
            return baseRate * powf(gamma, Float(afterWarmup / max(everySteps, 1)))
        case .cosine(let totalSteps, let minimum):
            let span = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(afterWarmup) / Double(span), 1)
            return minimum + (baseRate - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
