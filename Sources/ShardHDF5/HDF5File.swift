import CHDF5

#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file. `close()` closes it and reports a failure (data HDF5 still held that
/// did not reach the disk); a file nobody closed is closed when the last reference (including
/// its groups and datasets) goes away, without a report.
///
/// Sendable: its state is its path and its handle, which is Sendable (see `HDF5Handle`).
public final class HDF5File: Sendable {
    public enum Mode: Sendable { case readOnly, readWrite }

    public let path: String
    let handle: HDF5Handle

    private init(path: String, id: hid_t) {
        self.path = path
        handle = HDF5Handle(id, file: path, object: "/", closer: { H5Fclose($0) })
    }

    /// Opens an existing file. A missing file, a file that is not HDF5, and a truncated or
    /// corrupt HDF5 file each give their own error.
    public static func open(_ path: String, mode: Mode = .readOnly) throws(HDF5Error) -> HDF5File {
        try HDF5Library.prepare()
        guard access(path, F_OK) == 0 else { throw .fileNotFound(file: path) }
        let flags = mode == .readOnly ? shard_h5f_acc_rdonly() : shard_h5f_acc_rdwr()
        let id = try checked(try HDF5StallGuard.watch("opening \(path)") { H5Fopen(path, flags, HDF5Library.defaultProperties) },
                             "open file", file: path, object: "/")
        return HDF5File(path: path, id: id)
    }

    /// Creates a file, replacing any file at `path`.
    public static func create(_ path: String) throws(HDF5Error) -> HDF5File {
        try HDF5Library.prepare()
        let id = try checked(
            H5Fcreate(path, shard_h5f_acc_trunc(), HDF5Library.defaultProperties,
                      HDF5Library.defaultProperties),
            "create file", file: path, object: "/")
        return HDF5File(path: path, id: id)
    }

    /// The root group `/`.
    public var root: HDF5Group { HDF5Group(file: self, path: "/", handle: nil) }

    /// Writes everything buffered to the operating system (HDF5's H5Fflush).
    public func flush() throws(HDF5Error) {
        try checked(H5Fflush(try handle.id(), H5F_SCOPE_GLOBAL), "flush", file: path, object: "/")
    }

    /// Writes what HDF5 still holds and closes the file, throwing `closeFailed` when either
    /// fails. Close the groups and datasets you opened first: HDF5 keeps a file with open
    /// objects open until the last of them closes, and only then writes its last metadata.
    /// Closing twice does nothing; using the file afterwards throws `alreadyClosed`.
    public func close() throws(HDF5Error) {
        if !handle.isClosed, H5Fflush(try handle.id(), H5F_SCOPE_LOCAL) < 0 {
            let message = HDF5ErrorStack.take().message
            try? handle.close()
            throw .closeFailed(file: path, object: "/", message: message)
        }
        try handle.close()
    }
}
