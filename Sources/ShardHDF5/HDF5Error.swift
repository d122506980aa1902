/// Every failure of the HDF5 layer. Each case names the file and, where there is one, the
/// object path inside it (`/train/x`, `/model@version` for an attribute), and carries HDF5's
/// own message when HDF5 gave one. Failures of HDF5 calls are classified from HDF5's error
/// stack (its major and minor error classes), as h5py does: see `HDF5ErrorStack`.
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    /// Nothing at the path on disk.
    case fileNotFound(file: String)
    /// The file exists but has no HDF5 signature (H5E_NOTHDF5).
    case notHDF5(file: String, message: String)
    /// The file is HDF5 but damaged: truncated (shorter than its superblock says), metadata
    /// that does not load, or a chunk its filter cannot decode.
    case corrupt(file: String, object: String, message: String)
    /// No object (group, dataset, attribute) at that path (H5E_NOTFOUND).
    case objectNotFound(file: String, object: String)
    /// The object exists but is another kind: a dataset opened as a group, and so on.
    case wrongObjectKind(file: String, object: String, expected: HDF5ObjectKind, found: HDF5ObjectKind)
    /// The element type differs from what the caller needs (a string read as a number).
    case typeMismatch(file: String, object: String, expected: String, found: String)
    case shapeMismatch(file: String, object: String, expected: String, found: String)
    /// The operating system failed a read (H5E_READERROR, H5E_SEEKERROR).
    case readFailed(file: String, object: String, message: String)
    /// The operating system failed a write (H5E_WRITEERROR): a full disk, a lost device.
    case writeFailed(file: String, object: String, message: String)
    /// Closing the file, group or dataset failed: data HDF5 still held may not have reached
    /// the disk.
    case closeFailed(file: String, object: String, message: String)
    /// The object was used after its `close()`.
    case alreadyClosed(file: String, object: String)
    /// The HDF5 library in use was built without thread safety; ShardTrain calls it from
    /// several threads.
    case libraryNotThreadSafe(version: String)
    /// Any other failure of a HDF5 call, with the call's name.
    case operationFailed(file: String, object: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .notHDF5(let file, let message):
            return "\(file): not a readable HDF5 file (\(message)); check the path"
        case .corrupt(let file, let object, let message):
            return "\(file): '\(object)' is damaged (\(message)); the file is truncated or corrupt: re-create it or use a copy"
        case .objectNotFound(let file, let object):
            return "\(file): no object '\(object)' in the file"
        case .wrongObjectKind(let file, let object, let expected, let found):
            return "\(file): '\(object)' is \(found.withArticle), expected \(expected.withArticle)"
        case .typeMismatch(let file, let object, let expected, let found):
            return "\(file): '\(object)' holds \(found), expected \(expected)"
        case .shapeMismatch(let file, let object, let expected, let found):
            return "\(file): '\(object)' has shape \(found), expected \(expected)"
        case .readFailed(let file, let object, let message):
            return "\(file): reading '\(object)' failed (\(message))"
        case .writeFailed(let file, let object, let message):
            return "\(file): writing '\(object)' failed (\(message)); check free space and the device"
        case .closeFailed(let file, let object, let message):
            return "\(file): closing '\(object)' failed (\(message)); what was written last may not be on disk"
        case .alreadyClosed(let file, let object):
            return "\(file): '\(object)' was used after it was closed"
        case .libraryNotThreadSafe(let version):
            return "the HDF5 library (\(version)) was built without thread safety; install a thread-safe build (Debian's libhdf5-dev is one)"
        case .operationFailed(let file, let object, let operation, let message):
            let detail = message.isEmpty ? "" : ": \(message)"
            return "\(file): \(operation) failed for '\(object)'\(detail)"
        }
    }
}

/// What an object in a file is.
public enum HDF5ObjectKind: String, Equatable, Sendable, CustomStringConvertible {
    case group, dataset, namedDatatype = "named datatype", other = "object of another kind"

    public var description: String { rawValue }

    var withArticle: String { self == .other ? "an \(rawValue)" : "a \(rawValue)" }
}
