import CHDF5
import Synchronization

/// The one place that talks to HDF5's global state: start-up, silencing, and the error stack.
enum HDF5Library {
    /// H5open once, then the thread-safety check: ShardTrain reads files on one thread while
    /// its workers compute, writes checkpoints from the trainer's thread, and tests open files
    /// from many threads at once; a library built without thread safety would corrupt its
    /// state. Debian's build is thread-safe (one global lock).
    private static let startup: Result<Void, HDF5Error> = {
        // No clean-up at process exit: ShardTrain closes every file it writes itself (and
        // reports a failed close), and HDF5's exit-time clean-up of a file whose close failed
        // (a full disk) crashed the process after the error had been reported.
        _ = H5dont_atexit()
        guard H5open() >= 0 else {
            return .failure(.operationFailed(file: "", object: "", operation: "start the HDF5 library",
                                             message: HDF5ErrorStack.take().message))
        }
        var threadSafe = false
        guard H5is_library_threadsafe(&threadSafe) >= 0, threadSafe else {
            return .failure(.libraryNotThreadSafe(version: version))
        }
        return .success(())
    }()

    /// "1.10.8", the library's own version.
    static var version: String {
        var (major, minor, release): (UInt32, UInt32, UInt32) = (0, 0, 0)
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Starts the library (once) and silences error printing on the calling thread. Every way
    /// into a file (`HDF5File.open`, `create`) calls this, so every object has passed the
    /// start-up check.
    static func prepare() throws(HDF5Error) {
        try startup.get()
        silenceErrors()
    }

    /// HDF5 keeps its error-printing switch per thread in thread-safe builds, so it is turned
    /// off on whichever thread is about to call in. Cheap (it stores two pointers).
    static func silenceErrors() {
        shard_h5_silence_errors()
    }

    static let defaultProperties = hid_t(shard_h5p_default())
}

/// A HDF5 identifier that is closed exactly once: by `close()`, which reports a failed
/// close, or, as a safety net for a caller that did not close, in `deinit`.
///
/// Sendable: the identifier lives in an atomic, so a close on one thread and a use on another
/// see either the open identifier or "closed", and the identifier is released once. What is
/// done with an open identifier is serialised by HDF5's global lock (its thread safety is
/// checked at start-up).
final class HDF5Handle: Sendable {
    private let state: Atomic<hid_t>
    private let closer: @Sendable (hid_t) -> herr_t
    /// For messages: the file and object the identifier stands for.
    let file: String
    let object: String

    init(_ id: hid_t, file: String, object: String, closer: @escaping @Sendable (hid_t) -> herr_t) {
        state = Atomic(id)
        self.closer = closer
        self.file = file
        self.object = object
    }

    deinit {
        let id = state.exchange(-1, ordering: .acquiringAndReleasing)
        if id >= 0 {
            HDF5Library.silenceErrors()
            if closer(id) < 0 { _ = HDF5ErrorStack.take() }
        }
    }

    /// The open identifier, with error printing silenced on this thread.
    func id() throws(HDF5Error) -> hid_t {
        let id = state.load(ordering: .acquiring)
        guard id >= 0 else { throw .alreadyClosed(file: file, object: object) }
        HDF5Library.silenceErrors()
        return id
    }

    var isClosed: Bool { state.load(ordering: .acquiring) < 0 }

    /// Closes the identifier; a second close does nothing. HDF5's failure to close (for a
    /// dataset or file, the failure to write what it still held) is thrown.
    func close() throws(HDF5Error) {
        let id = state.exchange(-1, ordering: .acquiringAndReleasing)
        guard id >= 0 else { return }
        HDF5Library.silenceErrors()
        if closer(id) < 0 {
            throw .closeFailed(file: file, object: object, message: HDF5ErrorStack.take().message)
        }
    }
}

/// Runs a HDF5 call that returns an identifier or a status; a negative result becomes a
/// thrown error classified from HDF5's error stack, naming the call, the file and the object.
@discardableResult
func checked<T: BinaryInteger>(
    _ result: T, _ operation: String, file: String, object: String
) throws(HDF5Error) -> T {
    if result < 0 {
        throw HDF5ErrorStack.take().error(operation: operation, file: file, object: object)
    }
    return result
}
