import CHDF5

/// A copy of the calling thread's HDF5 error stack after a failed call, innermost entry
/// (where HDF5 detected the failure) first, API call last, and its classification into
/// `HDF5Error`'s cases by HDF5's major and minor error classes, as h5py does (h5py's
/// `_errors.pyx` maps the same minor classes to KeyError, OSError, TypeError...).
///
/// Measured stacks with HDF5 1.10.8, innermost first:
/// - missing object: (SYM, NOTFOUND) "object 'x' doesn't exist" ... (DATASET, CANTOPENOBJ)
/// - a dataset opened as a group: (SYM, BADTYPE) "not a group"; a group as a dataset:
///   (DATASET, BADTYPE) "not a dataset"
/// - a text file: (FILE, NOTHDF5) "file signature not found"
/// - a truncated file: (FILE, TRUNCATED) "truncated file: eof = 3000, ..., stored_eof = 15602"
/// - a damaged deflate chunk: (PLINE, CANTINIT) "inflate() failed", (PLINE, READERROR) ...
/// - the OS failing a read: (IO, READERROR) "file read failed: ..., errno = 21, ..."
struct HDF5ErrorStack {
    struct Entry {
        let major: hid_t
        let minor: hid_t
        let text: String
    }

    let entries: [Entry]

    /// Copies and clears this thread's error stack (32 entries at most: real stacks are
    /// under 25 deep).
    static func take() -> HDF5ErrorStack {
        let capacity = 32, width = 512
        var majors = [hid_t](repeating: 0, count: capacity)
        var minors = [hid_t](repeating: 0, count: capacity)
        var texts = [CChar](repeating: 0, count: capacity * width)
        let count = Int(shard_h5_error_stack(&majors, &minors, &texts, width, UInt32(capacity)))
        let entries = (0..<count).map { index in
            let bytes = texts[(index * width)..<((index + 1) * width)].prefix { $0 != 0 }
            return Entry(major: majors[index], minor: minors[index],
                         text: String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return HDF5ErrorStack(entries: entries)
    }

    /// One line: the API call's description, then the innermost one, h5py's format
    /// ("unable to open file (file signature not found)"). HDF5 puts newlines in some
    /// descriptions; they become spaces.
    var message: String {
        guard let innermost = entries.first, let outermost = entries.last else { return "" }
        let text = innermost.text == outermost.text
            ? innermost.text : "\(outermost.text) (\(innermost.text))"
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    func contains(minor: hid_t) -> Bool { entries.contains { $0.minor == minor } }
    func contains(major: hid_t) -> Bool { entries.contains { $0.major == major } }

    /// The case this stack means. Order matters: a truncated file also reports a read
    /// failure, a damaged chunk both a filter and a read failure; the more specific cause
    /// wins. A wrong object kind (minor BADTYPE on an open) is told apart by the caller, which
    /// knows what it expected: see `isWrongKind`.
    func error(operation: String, file: String, object: String) -> HDF5Error {
        if contains(minor: shard_h5e_nothdf5()) {
            return .notHDF5(file: file, message: message)
        }
        let operatingSystemFailed = contains(minor: shard_h5e_readerror()) && contains(major: shard_h5e_io())
            || contains(minor: shard_h5e_seekerror()) || contains(minor: shard_h5e_writeerror())
        let metadataDamaged = [shard_h5e_cantload(), shard_h5e_cantdecode(), shard_h5e_badmesg(),
                               shard_h5e_version()].contains(where: contains(minor:))
        if contains(minor: shard_h5e_truncated()) || contains(major: shard_h5e_pline())
            || (metadataDamaged && !operatingSystemFailed) {
            return .corrupt(file: file, object: object, message: message)
        }
        if contains(minor: shard_h5e_notfound()) {
            return .objectNotFound(file: file, object: object)
        }
        if contains(minor: shard_h5e_writeerror()) {
            return .writeFailed(file: file, object: object, message: message)
        }
        if contains(minor: shard_h5e_readerror()) || contains(minor: shard_h5e_seekerror()) {
            return .readFailed(file: file, object: object, message: message)
        }
        return .operationFailed(file: file, object: object, operation: operation, message: message)
    }

    /// True when an open failed because the object is of another kind ("not a group").
    var isWrongKind: Bool { contains(minor: shard_h5e_badtype()) }
}
