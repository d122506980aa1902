import ShardCore
import ShardHDF5

#if canImport(Glibc)
import Glibc
#endif

/// Reads blocks of rows of one split into a `DataSplit`'s rows, checking every value that
/// training would otherwise trust: floats finite, labels within the classes. Before each read
/// it checks the file is still the one opened (same inode, not shorter), so a file deleted,
/// replaced or truncated during a run gives an error naming the file and rows, never a wrong
/// batch. Used by one thread at a time (the loader, or a streaming reader's thread).
final class SplitBlockReader: @unchecked Sendable {
    let layout: SplitLayout
    let x: HDF5Dataset
    let y: HDF5Dataset
    /// Labels at or above this are refused (the class count).
    var labelLimit: Int
    private let identity: stat
    /// [readRows] labels as read, before the check and narrowing to Int32
    private var labelStaging: [Int64]
    private let stagingRows = 65_536

    init(layout: SplitLayout, file: DatasetFile, chunkCacheBytes: Int) throws(DataError) {
        self.layout = layout
        labelLimit = layout.labelLimit ?? 0
        let group = try file.splitGroup(layout.split)
        x = try file.reading { () throws(HDF5Error) in
            try group.dataset(layout.featuresName, chunkCacheBytes: chunkCacheBytes)
        }
        y = try file.reading { () throws(HDF5Error) in try group.dataset(layout.targetsName, chunkCacheBytes: 1 << 20) }
        var status = stat()
        guard stat(layout.file, &status) == 0 else {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: 0..<0,
                                       reason: "the file disappeared")
        }
        identity = status
        labelStaging = layout.isLabelled ? [Int64](repeating: 0, count: stagingRows) : []
    }

    /// Reads rows `rows` of the split into rows `at ..< at + rows.count` of `destination`.
    func read(rows: Range<Int>, into destination: DataSplit, at firstRow: Int) throws(DataError) {
        guard !rows.isEmpty else { return }
        try checkFileUnchanged(rows: rows)
        let width = layout.width
        do {
            switch destination.featureStorage {
            case .uint8(let bytes):
                try x.readRows(rows, into: UnsafeMutableBufferPointer(start: bytes.pointer + firstRow * width,
                                                                      count: rows.count * width))
            case .float32(let floats):
                let target = UnsafeMutableBufferPointer(start: floats.pointer + firstRow * width,
                                                        count: rows.count * width)
                try x.readRows(rows, into: target)
                if let bad = target.firstIndex(where: { !$0.isFinite }) {
                    throw DataError.nonFinite(file: layout.file, object: x.path, row: rows.lowerBound + bad / width,
                                              column: bad % width, value: target[bad])
                }
            }
            switch destination.targets {
            case .labels(let labels):
                var start = rows.lowerBound
                while start < rows.upperBound {
                    let part = start..<min(start + stagingRows, rows.upperBound)
                    try labelStaging.withUnsafeMutableBufferPointer { staging in
                        let window = UnsafeMutableBufferPointer(rebasing: staging[0..<part.count])
                        try y.readRows(part, into: window)
                        for (offset, label) in window.enumerated() {
                            guard label >= 0, label < Int64(labelLimit) else {
                                throw DataError.labelOutOfRange(file: layout.file, object: y.path,
                                                                row: part.lowerBound + offset, label: label,
                                                                classCount: labelLimit)
                            }
                            labels[firstRow + part.lowerBound - rows.lowerBound + offset] = Int32(label)
                        }
                    }
                    start = part.upperBound
                }
            case .values(let values, let targetWidth):
                let target = UnsafeMutableBufferPointer(start: values.pointer + firstRow * targetWidth,
                                                        count: rows.count * targetWidth)
                try y.readRows(rows, into: target)
                if let bad = target.firstIndex(where: { !$0.isFinite }) {
                    throw DataError.nonFinite(file: layout.file, object: y.path,
                                              row: rows.lowerBound + bad / targetWidth,
                                              column: bad % targetWidth, value: target[bad])
                }
            }
        } catch let error as DataError {
            throw error
        } catch let error as HDF5Error {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows, reason: error.description)
        } catch {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows, reason: "\(error)")
        }
    }

    private func checkFileUnchanged(rows: Range<Int>) throws(DataError) {
        var status = stat()
        guard stat(layout.file, &status) == 0 else {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows,
                                       reason: "the file disappeared during the run")
        }
        guard status.st_ino == identity.st_ino, status.st_dev == identity.st_dev else {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows,
                                       reason: "the file was replaced during the run")
        }
        guard status.st_size >= identity.st_size else {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows,
                                       reason: "the file shrank from \(identity.st_size) to \(status.st_size) bytes during the run")
        }
        guard access(layout.file, R_OK) == 0 else {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: rows,
                                       reason: "the file is no longer readable")
        }
    }
}
