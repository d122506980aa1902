#if canImport(Glibc)
import Glibc
#endif

/// Why the file at `path` cannot be opened for reading, in words a message can use ("does not
/// exist", "is a symbolic link loop", "is a directory", ...), or nil when it can be. Errors
/// name the real cause instead of reporting every failure as a missing file.
public func fileProblem(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        switch errno {
        case ENOENT: return "does not exist"
        case ENOTDIR: return "does not exist (a part of its path is not a folder)"
        case ELOOP: return "is a symbolic link loop (or a chain of links too long to follow)"
        case EACCES, EPERM: return "is not readable (permission denied)"
        case ENAMETOOLONG: return "has a name too long for the file system"
        default: return "cannot be opened (\(String(cString: strerror(errno))))"
        }
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return "cannot be examined (\(String(cString: strerror(errno))))" }
    if (status.st_mode & S_IFMT) == S_IFDIR { return "is a directory, not a file" }
    return nil
}
