import ShardHDF5

/// What can be wrong with a dataset. Every message names the file and the object, and says
/// what to do about it.
public enum DataError: Error, CustomStringConvertible {
    case file(HDF5Error)
    case missingSplit(file: String, split: String, available: [String])
    case missingArray(file: String, object: String, role: String)
    case wrongRank(file: String, object: String, expected: String, found: [Int])
    case unsupportedType(file: String, object: String, found: String, allowed: String)
    case rowCountMismatch(file: String, features: String, featureRows: Int, targets: String, targetRows: Int)
    case nonFinite(file: String, object: String, row: Int, column: Int, value: Float)
    case labelOutOfRange(file: String, object: String, row: Int, label: Int64, classCount: Int)
    case widthMismatch(file: String, object: String, found: Int, expected: Int, what: String)
    case emptySplit(file: String, object: String)
    case invalidIDX(file: String, reason: String)
    case writeFailed(file: String, reason: String)
    /// The file cannot be opened at all: `problem` says why ("is a directory", ...).
    case unreadable(file: String, problem: String)
    /// A value the format documents a range for is outside it: `problem` says what and the fix.
    case invalid(file: String, object: String, problem: String)
    /// A read during training failed, or the file changed under the run.
    case readFailed(file: String, object: String, rows: Range<Int>, reason: String)
    /// A file being imported is malformed.
    case badImport(file: String, reason: String)

    public var description: String {
        switch self {
        case .file(let error):
            if case .fileNotFound(let file) = error {
                return "data file \(file) does not exist; create it with `shardtrain import fashion-mnist --out \(file)` or fix data.path"
            }
            return error.description
        case .missingSplit(let file, let split, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "\(file): no split group '/\(split)' (groups found: \(list)); fix the split name in the experiment or the file"
        case .missingArray(let file, let object, let role):
            return "\(file): missing \(role) dataset '\(object)'; every split needs x (features) and y (labels or targets), see datasets/README.md"
        case .wrongRank(let file, let object, let expected, let found):
            return "\(file): '\(object)' has shape \(found), expected \(expected)"
        case .unsupportedType(let file, let object, let found, let allowed):
            return "\(file): '\(object)' holds \(found), expected \(allowed); convert it when writing the file"
        case .rowCountMismatch(let file, let features, let featureRows, let targets, let targetRows):
            return "\(file): '\(features)' has \(featureRows) rows but '\(targets)' has \(targetRows); each sample needs one label row"
        case .nonFinite(let file, let object, let row, let column, let value):
            return "\(file): '\(object)' holds \(value) at row \(row), column \(column); clean or impute the data before training"
        case .labelOutOfRange(let file, let object, let row, let label, let classCount):
            return "\(file): '\(object)' row \(row) has label \(label), outside [0, \(classCount)); labels must be class indices 0..<\(classCount) (fix the labels or the file's 'classes' attribute)"
        case .widthMismatch(let file, let object, let found, let expected, let what):
            return "\(file): '\(object)' has \(found) columns but \(what) expects \(expected); use a matching data file or model"
        case .emptySplit(let file, let object):
            return "\(file): '\(object)' has no rows; a split needs at least one sample"
        case .invalidIDX(let file, let reason):
            return "\(file): not a valid IDX file (\(reason)); re-install the dataset-fashion-mnist package or pass --from with the right folder"
        case .unreadable(let file, let problem):
            return "data file \(file) \(problem); fix data.path (or --data)"
        case .invalid(let file, let object, let problem):
            return "\(file): '\(object)' \(problem)"
        case .writeFailed(let file, let reason):
            return "\(file): could not write the dataset (\(reason)); check the folder exists and is writable"
        case .readFailed(let file, let object, let rows, let reason):
            return "\(file): reading rows \(rows.lowerBound)..<\(rows.upperBound) of '\(object)' failed: \(reason); restore the file and continue with `shardtrain train --resume RUN_DIR` (the last checkpoint is intact)"
        case .badImport(let file, let reason):
            return "\(file): cannot import: \(reason); fix the file and run the import again"
        }
    }
}
