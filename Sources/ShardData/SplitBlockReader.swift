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
        let group = try file.splitGroup(layout.group)
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

    /// Reads rows `rows` of the layout (file rows, or rows of its `fileRows`) into rows
    /// `at ..< at + rows.count` of `destination`.
    func read(rows: Range<Int>, into destination: DataSplit, at firstRow: Int) throws(DataError) {
        guard !rows.isEmpty else { return }
        guard let map = layout.fileRows else {
            return try read(fileRuns: [rows], into: destination, at: firstRow)
        }
        try read(fileRuns: Self.runs(of: map[rows]), into: destination, at: firstRow)
    }

    /// Reads the layout's rows `rows` (ascending) into consecutive rows of `destination` from
    /// `at` on: only those rows are read from the file.
    func read(selectedRows rows: some Collection<Int>, into destination: DataSplit, at firstRow: Int) throws(DataError) {
        guard !rows.isEmpty else { return }
        let map = layout.fileRows
        try read(fileRuns: Self.runs(of: rows.lazy.map { map?[$0] ?? $0 }), into: destination, at: firstRow)
    }

    /// Ascending rows as runs of consecutive rows.
    static func runs(of rows: some Sequence<Int>) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = -1, end = -1
        for row in rows {
            if row == end {
                end += 1
            } else {
                if start >= 0 { runs.append(start..<end) }
                start = row
                end = row + 1
            }
        }
        if start >= 0 { runs.append(start..<end) }
        return runs
    }

    /// The file row at `offset` of the rows of `runs` taken one after another.
    private static func fileRow(atOffset offset: Int, of runs: [Range<Int>]) -> Int {
        var left = offset
        for run in runs {
            if left < run.count { return run.lowerBound + left }
            left -= run.count
        }
        return runs.last?.upperBound ?? 0
    }

    /// Runs per HDF5 read: a selection of many hyperslabs costs HDF5 more per run as it grows.
    static let runsPerRead = 64

    /// Reads the file rows of `runs` (ascending, disjoint), one after another, into rows
    /// `at ...` of `destination`, checking every value.
    private func read(fileRuns runs: [Range<Int>], into destination: DataSplit, at firstRow: Int) throws(DataError) {
        guard let first = runs.first, let last = runs.last else { return }
        try checkFileUnchanged(rows: first.lowerBound..<last.upperBound)
        let total = runs.reduce(0) { $0 + $1.count }
        // HDF5 1.10.8 takes about 10 ms to read a selection of 64 scattered runs of a chunked
        // dataset (measured: a rank's rows of a Fashion-MNIST window), while reading a span of
        // rows whole costs about a microsecond a row and HDF5 decompresses every chunk a
        // selection touches anyway. So rows that are not too sparse are read as whole spans
        // through `spanStaging` and the wanted rows copied out; only very sparse rows (a
        // span over 64 times their count) are read as a selection.
        if runs.count > 1, last.upperBound - first.lowerBound <= 64 * total {
            return try readThroughSpans(runs, into: destination, at: firstRow)
        }
        var row = firstRow
        var start = 0
        while start < runs.count {
            let group = Array(runs[start..<min(start + Self.runsPerRead, runs.count)])
            try readChecked(fileRuns: group, into: destination, at: row)
            row += group.reduce(0) { $0 + $1.count }
            start += group.count
        }
    }

    /// Rows a span read covers at once: a few blocks.
    private var spanRows: Int { max(256, 2 * layout.blockRows) }
    private var spanStagingSplit: DataSplit?

    /// Reads the spans `runs` cover, `spanRows` rows at a time, and copies the rows of `runs`
    /// into consecutive rows of `destination` from `at`.
    private func readThroughSpans(_ runs: [Range<Int>], into destination: DataSplit, at firstRow: Int) throws(DataError) {
        let staging = spanStagingSplit ?? DataSplit(
            name: layout.split, rowCount: spanRows, width: layout.width, storesBytes: destination.storesBytes,
            scale: destination.scale, targetWidth: layout.targetWidth)
        spanStagingSplit = staging
        var out = firstRow
        var index = 0
        while index < runs.count {
            // One span: runs from `index` on that fit in spanRows file rows.
            let start = runs[index].lowerBound
            var end = index
            while end < runs.count, runs[end].upperBound - start <= spanRows { end += 1 }
            if end == index {
                // A run longer than a span: read it directly.
                try readChecked(fileRuns: [runs[index]], into: destination, at: out)
                out += runs[index].count
                index += 1
                continue
            }
            let span = start..<runs[end - 1].upperBound
            try readChecked(fileRuns: [span], into: staging, at: 0)
            for run in runs[index..<end] {
                for row in run {
                    destination.copyRow(row - start, of: staging, to: out)
                    out += 1
                }
            }
            index = end
        }
    }

    private func readChecked(fileRuns runs: [Range<Int>], into destination: DataSplit, at firstRow: Int) throws(DataError) {
        let total = runs.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        let span = runs.first!.lowerBound..<runs.last!.upperBound
        let width = layout.width
        do {
            switch destination.featureStorage {
            case .uint8(let bytes):
                try x.readRows(runs: runs, into: UnsafeMutableBufferPointer(start: bytes.pointer + firstRow * width,
                                                                            count: total * width))
            case .float32(let floats):
                let target = UnsafeMutableBufferPointer(start: floats.pointer + firstRow * width,
                                                        count: total * width)
                try x.readRows(runs: runs, into: target)
                if let bad = target.firstIndex(where: { !$0.isFinite }) {
                    throw DataError.nonFinite(file: layout.file, object: x.path,
                                              row: Self.fileRow(atOffset: bad / width, of: runs),
                                              column: bad % width, value: target[bad])
                }
            }
            switch destination.targets {
            case .labels(let labels):
                // Run by run, in parts of at most `stagingRows` rows.
                var written = firstRow
                for run in runs {
                    var start = run.lowerBound
                    while start < run.upperBound {
                        let part = start..<min(start + stagingRows, run.upperBound)
                        try labelStaging.withUnsafeMutableBufferPointer { staging in
                            let window = UnsafeMutableBufferPointer(rebasing: staging[0..<part.count])
                            try y.readRows(part, into: window)
                            for (offset, label) in window.enumerated() {
                                guard label >= 0, label < Int64(labelLimit) else {
                                    throw DataError.labelOutOfRange(file: layout.file, object: y.path,
                                                                    row: part.lowerBound + offset, label: label,
                                                                    classCount: labelLimit)
                                }
                                labels[written + offset] = Int32(label)
                            }
                        }
                        written += part.count
                        start = part.upperBound
                    }
                }
            case .values(let values, let targetWidth):
                let target = UnsafeMutableBufferPointer(start: values.pointer + firstRow * targetWidth,
                                                        count: total * targetWidth)
                try y.readRows(runs: runs, into: target)
                if let bad = target.firstIndex(where: { !$0.isFinite }) {
                    throw DataError.nonFinite(file: layout.file, object: y.path,
                                              row: Self.fileRow(atOffset: bad / targetWidth, of: runs),
                                              column: bad % targetWidth, value: target[bad])
                }
            }
        } catch let error as DataError {
            throw error
        } catch let error as HDF5Error {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: span, reason: error.description)
        } catch {
            throw DataError.readFailed(file: layout.file, object: x.path, rows: span, reason: "\(error)")
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
