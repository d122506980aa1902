import CCrashGuard
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// What happens when HDF5 does not come back from reading a file's metadata. HDF5 1.10.8 loops
/// forever reading a variable-length string attribute whose global heap is corrupt (found by
/// fuzzing the model-file reader; h5dump fails on the same file): no error is ever returned, so
/// no caller can recover on that thread, and HDF5's global lock stays held. A program can
/// install a handler that ends the process with a message after a time limit; without one (the
/// default, for library users) reads are not watched. Metadata reads take microseconds, so the
/// limit is far above any honest read.
///
/// The same reads can also crash: HDF5 1.10.8 overruns a buffer in H5HG_read on some corrupt
/// global heaps (found by fuzzing; AddressSanitizer reports a memcpy overlap), and divides by
/// zero opening a dataset whose chunk layout is damaged. With `crashed` installed, a SIGSEGV,
/// SIGBUS or SIGFPE during a watched read (every open of a file, group, dataset or attribute,
/// and every attribute read) writes that line and exits with its code.
public enum HDF5StallGuard {
    public typealias Handler = @Sendable (_ what: String) -> Void
    /// For a crash during a read: the line to write (given what was being read) and the exit code.
    public typealias CrashReport = @Sendable (_ what: String) -> (line: String, exitCode: Int32)

    private static let state = PThreadLocked<(handler: Handler?, limit: Duration, crashed: CrashReport?)>((nil, .seconds(30), nil))

    /// Installs `handler` (called on another thread with a description of the stalled read;
    /// it should end the process), the time a metadata read may take before it is called, and
    /// what to print when such a read crashes.
    public static func install(limit: Duration, handler: @escaping Handler, crashed: CrashReport? = nil) {
        state.withLock { $0 = (handler, limit, crashed) }
    }

    /// Runs `body` (one metadata read) under the watch, when a handler is installed.
    static func watch<T>(_ what: @autoclosure () -> String, _ body: () throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        let (handler, limit, crashed) = state.withLock { ($0.handler, $0.limit, $0.crashed) }
        guard let handler else { return try body() }
        let description = what()
        if let crashed {
            let (line, code) = crashed(description)
            shard_crash_guard_begin(line, code)
        }
        defer { if crashed != nil { shard_crash_guard_end() } }
        let alarm = DispatchWorkItem { handler(description) }
        let (seconds, attoseconds) = limit.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)),
            execute: alarm)
        defer { alarm.cancel() }
        return try body()
    }
}

/// A value behind a pthread mutex. Not Synchronization's `Mutex`: on Linux it locks with futex
/// calls that ThreadSanitizer cannot see, so every read under it is reported as a race when
/// two threads open HDF5 objects (the sanitizer run of the streaming tests).
private final class PThreadLocked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&value)
    }
}
