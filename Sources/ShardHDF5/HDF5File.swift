import CHDF5

#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file. Closes itself when the last reference (including its groups and
/// datasets) goes away.
public final class HDF5File: @unchecked Sendable {
    public enum Mode: Sendable { case readOnly, readWrite }

    public let path: String
    let handle: HDF5Handle

    private init(path: String, id: hid_t) {
        self.path = path
        handle = HDF5Handle(id, closer: H5Fclose)
    }

    /// Opens an existing file. A missing file, a file that is not HDF5, and a truncated or
    /// corrupt HDF5 file each give their own error.
    public static func open(_ path: String, mode: Mode = .readOnly) throws -> HDF5File {
        HDF5Library.prepare()
        guard access(path, F_OK) == 0 else { throw HDF5Error.fileNotFound(file: path) }
        let flags = mode == .readOnly ? shard_h5f_acc_rdonly() : shard_h5f_acc_rdwr()
        let id = H5Fopen(path, flags, HDF5Library.defaultProperties)
        guard id >= 0 else {
            let message = HDF5Library.lastErrorMessage()
            throw HDF5Error.notHDF5(file: path, message: message.isEmpty ? "open failed" : message)
        }
        return HDF5File(path: path, id: id)
    }

    /// Creates a file, replacing any file at `path`.
    public static func create(_ path: String) throws -> HDF5File {
        HDF5Library.prepare()
        let id = try checked(
            H5Fcreate(path, shard_h5f_acc_trunc(), HDF5Library.defaultProperties,
                      HDF5Library.defaultProperties),
            "create file", file: path, object: "/")
        return HDF5File(path: path, id: id)
    }

    /// The root group `/`.
    public var root: HDF5Group { HDF5Group(file: self, path: "/", handle: nil) }

    /// Writes everything buffered to the operating system (HDF5's H5Fflush).
    public func flush() throws {
        try checked(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "flush", file: path, object: "/")
    }
}
