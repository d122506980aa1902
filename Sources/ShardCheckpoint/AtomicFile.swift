import Foundation

/// Writes a file so that a crash at any instant leaves either the old file or the complete new
/// one under its name, never a part: write a temporary file in the same folder, fsync it,
/// rename it over the final name, fsync the folder (so the rename itself is durable).
public enum AtomicFile {
    public static func write(to path: String, _ body: (String) throws -> Void) throws(CheckpointError) {
        let folder = (path as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try body(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            try sync(directory)
        } catch let error as CheckpointError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw .writeFailed(path: path, reason: reason(error))
        }
    }

    /// The operating system's words for why a write failed ("No space left on device"),
    /// rather than a Foundation error's description.
    public static func reason(_ error: Error) -> String {
        let foundation = error as NSError
        if foundation.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(foundation.code))) }
        if foundation.domain == NSCocoaErrorDomain {
            if let underlying = foundation.userInfo[NSUnderlyingErrorKey] as? NSError,
               underlying.domain == NSPOSIXErrorDomain {
                return String(cString: strerror(Int32(underlying.code)))
            }
            return foundation.localizedDescription
        }
        // Our own errors. HDF5's text for a failed write is a long record of buffers and
        // offsets; the operating system's message inside it is what a person can act on.
        let text = String(describing: error)
        if let start = text.range(of: "error message = '"),
           let end = text[start.upperBound...].firstIndex(of: "'") {
            return String(text[start.upperBound..<end])
        }
        return text
    }

    /// fsync of a file or a folder.
    static func sync(_ path: String) throws(CheckpointError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }
}
