import CHDF5

/// A dataset in an open file: its shape and element kind, whole and row-range reads.
///
/// Sendable: a file reference, a path and a handle, each Sendable (see `HDF5Handle`).
public struct HDF5Dataset: HDF5Object, Sendable {
    public let file: HDF5File
    public let path: String
    let handle: HDF5Handle

    init(file: HDF5File, path: String, handle: HDF5Handle) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    public func objectID() throws(HDF5Error) -> hid_t { try handle.id() }

    /// Closes the dataset, throwing `closeFailed` when HDF5 fails to (for a chunked dataset
    /// just written, when it cannot write the chunks it still caches).
    public func close() throws(HDF5Error) {
        try handle.close()
    }

    /// The extent of each dimension; `[]` for a scalar dataset.
    public var shape: [Int] {
        get throws(HDF5Error) {
            let space = try checked(H5Dget_space(try handle.id()), "read dataspace", file: file.path,
                                    object: path)
            defer { H5Sclose(space) }
            return extent(of: space)
        }
    }

    /// The element kind as stored (float64, uint8, ...).
    public var elementKind: HDF5ElementKind {
        get throws(HDF5Error) {
            let type = try checked(H5Dget_type(try handle.id()), "read datatype", file: file.path,
                                   object: path)
            defer { H5Tclose(type) }
            return HDF5ElementKind(type: type)
        }
    }

    /// Reads the whole dataset into `destination` (which must hold `shape.product` values),
    /// converting to `T` as HDF5 does (float64 to float32, any integer width to another).
    public func read<T: HDF5Element>(into destination: UnsafeMutableBufferPointer<T>) throws(HDF5Error) {
        let count = try elementCount(try shape, bytesEach: 0, file: file.path, object: path)
        guard destination.count == count else {
            throw HDF5Error.shapeMismatch(
                file: file.path, object: path, expected: "\(destination.count) values",
                found: "\(count) values")
        }
        guard count > 0 else { return }
        try checked(
            H5Dread(try handle.id(), T.nativeType, shard_h5s_all(), shard_h5s_all(),
                    HDF5Library.defaultProperties, destination.baseAddress),
            "read", file: file.path, object: path)
    }

    public func read<T: HDF5Element>(as type: T.Type = T.self) throws(HDF5Error) -> [T] {
        let count = try elementCount(try shape, bytesEach: MemoryLayout<T>.stride, file: file.path, object: path)
        return try makeArray(count: count) { (buffer) throws(HDF5Error) in try read(into: buffer) }
    }

    /// Reads rows `rows` of the first dimension (a hyperslab) into `destination`.
    public func readRows<T: HDF5Element>(
        _ rows: Range<Int>, into destination: UnsafeMutableBufferPointer<T>
    ) throws(HDF5Error) {
        try readRows(runs: [rows], into: destination)
    }

    /// Reads the rows of `runs` (ranges of the first dimension, ascending and disjoint) into
    /// `destination`, one after another, in one read: a selection of several hyperslabs, so a
    /// caller that wants scattered rows reads those rows only.
    public func readRows<T: HDF5Element>(
        runs: [Range<Int>], into destination: UnsafeMutableBufferPointer<T>
    ) throws(HDF5Error) {
        let dims = try shape
        let rowWidth = dims.dropFirst().reduce(1, *)
        var total = 0
        var previousEnd = 0
        for run in runs {
            guard let rowCount = dims.first, run.lowerBound >= previousEnd, run.upperBound <= rowCount else {
                throw HDF5Error.shapeMismatch(
                    file: file.path, object: path, expected: "ascending disjoint row ranges within \(dims)",
                    found: "rows \(run)")
            }
            previousEnd = run.upperBound
            total += run.count
        }
        guard destination.count == total * rowWidth else {
            throw HDF5Error.shapeMismatch(
                file: file.path, object: path, expected: "\(destination.count) values",
                found: "\(total * rowWidth) values in \(runs.count) row ranges")
        }
        guard total > 0, rowWidth > 0 else { return }
        let fileSpace = try checked(H5Dget_space(try handle.id()), "read dataspace", file: file.path,
                                    object: path)
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t](repeating: 0, count: dims.count)
        var count = dims.map { hsize_t($0) }
        var operation = H5S_SELECT_SET
        for run in runs where !run.isEmpty {
            start[0] = hsize_t(run.lowerBound)
            count[0] = hsize_t(run.count)
            try checked(
                H5Sselect_hyperslab(fileSpace, operation, &start, nil, &count, nil),
                "select rows \(run)", file: file.path, object: path)
            operation = H5S_SELECT_OR
        }
        count[0] = hsize_t(total)
        let memorySpace = try checked(
            H5Screate_simple(Int32(count.count), &count, nil), "create dataspace",
            file: file.path, object: path)
        defer { H5Sclose(memorySpace) }
        try checked(
            H5Dread(try handle.id(), T.nativeType, memorySpace, fileSpace,
                    HDF5Library.defaultProperties, destination.baseAddress),
            runs.count == 1 ? "read rows \(runs[0])" : "read \(total) rows from \(runs[0].lowerBound) to \(previousEnd - 1)",
            file: file.path, object: path)
    }

    public func readRows<T: HDF5Element>(_ rows: Range<Int>, as type: T.Type = T.self) throws(HDF5Error) -> [T] {
        let rowWidth = try shape.dropFirst().reduce(1, *)
        return try makeArray(count: rows.count * rowWidth) { (buffer) throws(HDF5Error) in
            try readRows(rows, into: buffer)
        }
    }
}

/// An array of `count` elements filled by `fill`, which must initialise all of them or throw.
func makeArray<T>(
    count: Int, _ fill: (UnsafeMutableBufferPointer<T>) throws(HDF5Error) -> Void
) throws(HDF5Error) -> [T] {
    var failure: HDF5Error?
    let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        do throws(HDF5Error) {
            try fill(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        } catch {
            failure = error
            initialized = 0
        }
    }
    if let failure { throw failure }
    return values
}
