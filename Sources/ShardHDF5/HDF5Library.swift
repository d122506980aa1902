import CHDF5

/// The one place that talks to HDF5's global state: start-up, silencing, and turning the error
/// stack into a message.
enum HDF5Library {
    private static let started: Bool = {
        _ = H5open()
        return true
    }()

    /// HDF5 keeps its error-printing switch per thread in thread-safe builds, so it is turned off
    /// on whichever thread is about to call in. Cheap (it only stores two pointers).
    static func prepare() {
        _ = started
        shard_h5_silence_errors()
    }

    /// HDF5's most specific message for the last failure on this thread, and clears the stack.
    static func lastErrorMessage() -> String {
        var text = [CChar](repeating: 0, count: 512)
        text.withUnsafeMutableBufferPointer { shard_h5_last_error($0.baseAddress, $0.count) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let defaultProperties = hid_t(shard_h5p_default())
}

/// A HDF5 identifier that closes itself.
final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let closer: (hid_t) -> herr_t

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    deinit { _ = closer(id) }
}

/// Runs a HDF5 call that returns an identifier or a status; a negative result becomes a thrown
/// `operationFailed` naming the call, the file and the object, with HDF5's message.
@discardableResult
func checked<T: BinaryInteger>(
    _ result: T, _ operation: String, file: String, object: String
) throws -> T {
    if result < 0 {
        throw HDF5Error.operationFailed(
            file: file, object: object, operation: operation,
            message: HDF5Library.lastErrorMessage())
    }
    return result
}
