/// Failures of exporting a model or writing and reading TensorBoard event files.
public enum ExportError: Error, CustomStringConvertible {
    /// A file or folder could not be written (exit code 74).
    case writeFailed(path: String, reason: String)
    /// An event file that is not TFRecord-framed events, or whose checksums do not match
    /// (exit code 65).
    case badEventFile(path: String, reason: String)
    /// A model the ONNX export cannot express (exit code 65).
    case unsupportedModel(reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason); check the folder is writable and the disk has space"
        case .badEventFile(let path, let reason):
            return "\(path) is not a readable TensorBoard event file: \(reason); move it out of the tensorboard folder"
        case .unsupportedModel(let reason):
            return "cannot export this model to ONNX: \(reason)"
        }
    }
}
