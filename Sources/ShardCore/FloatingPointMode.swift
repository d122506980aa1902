import CThreadSupport

/// The calling thread's floating-point mode for training: subnormals flushed to zero (see
/// ThreadSupport.h for why and what it measured). Costs two instructions; call it on every
/// thread that computes, before it computes. The mode stays set on the thread: a thread that
/// is not the library's own (the caller's) should be left as it came in, with
/// `FloatingPointMode.withSubnormalsFlushedToZero` or `current` / `restore()`.
@inline(__always)
public func flushSubnormalsToZero() {
    shard_flush_subnormals_to_zero()
}

/// A thread's whole floating-point control state (MXCSR on x86-64, FPCR on arm64): rounding,
/// exception masks and sticky flags, and the flush-to-zero bits. Saved before training sets
/// its mode on the caller's thread and restored after, so code that runs later on that
/// thread (a test, a caller computing with subnormals) sees the mode it had.
public struct FloatingPointMode: Equatable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The calling thread's mode now.
    public static var current: FloatingPointMode {
        FloatingPointMode(rawValue: shard_fp_control_get())
    }

    /// Makes this the calling thread's mode.
    public func restore() {
        shard_fp_control_set(rawValue)
    }

    /// The bits `shard_flush_subnormals_to_zero` sets: FTZ and DAZ on x86-64, FZ on arm64.
    static var flushBits: UInt64 {
        #if arch(x86_64) || arch(i386)
        return 0x8040
        #elseif arch(arm64)
        return 1 << 24
        #else
        return 0
        #endif
    }

    /// True when subnormals are flushed to zero (the bits training sets are all on).
    public var flushesSubnormalsToZero: Bool {
        Self.flushBits != 0 && rawValue & Self.flushBits == Self.flushBits
    }

    /// This mode with the flush-to-zero bits set or cleared.
    func withFlushToZero(_ on: Bool) -> FloatingPointMode {
        FloatingPointMode(rawValue: on ? rawValue | Self.flushBits : rawValue & ~Self.flushBits)
    }

    public var description: String { "0x" + String(rawValue, radix: 16) }

    /// Runs `body` with subnormals flushed to zero on the calling thread, then puts the
    /// thread's previous mode back, whether `body` returns or throws. The trainer wraps a
    /// training run in this: the engine sets the mode on the caller's thread at every step.
    public static func withSubnormalsFlushedToZero<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let saved = current
        defer { saved.restore() }
        flushSubnormalsToZero()
        return try body()
    }
}
