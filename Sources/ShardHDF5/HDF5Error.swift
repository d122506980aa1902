/// Every failure of the HDF5 layer. Each case names the file and, where there is one, the
/// object path inside it, and carries HDF5's own message when HDF5 gave one.
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    case fileNotFound(file: String)
    case notHDF5(file: String, message: String)
    case objectNotFound(file: String, object: String)
    case typeMismatch(file: String, object: String, expected: String, found: String)
    case shapeMismatch(file: String, object: String, expected: String, found: String)
    case operationFailed(file: String, object: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .notHDF5(let file, let message):
            return "\(file): not a readable HDF5 file (\(message)); check the path, or re-create the file if it is truncated or corrupt"
        case .objectNotFound(let file, let object):
            return "\(file): no object '\(object)' in the file"
        case .typeMismatch(let file, let object, let expected, let found):
            return "\(file): '\(object)' holds \(found), expected \(expected)"
        case .shapeMismatch(let file, let object, let expected, let found):
            return "\(file): '\(object)' has shape \(found), expected \(expected)"
        case .operationFailed(let file, let object, let operation, let message):
            let detail = message.isEmpty ? "" : ": \(message)"
            return "\(file): \(operation) failed for '\(object)'\(detail)"
        }
    }
}
