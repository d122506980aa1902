import CHDF5

/// What a reader that streams a large dataset needs beyond whole reads: the chunk layout, a
/// chunk cache sized for its access pattern, and datasets written block by block.
extension HDF5Dataset {
    /// The chunk extent of each dimension, or nil for contiguous (or compact) storage.
    public var chunkShape: [Int]? {
        get throws(HDF5Error) {
            let properties = try checked(H5Dget_create_plist(try handle.id()), "read creation properties",
                                         file: file.path, object: path)
            defer { H5Pclose(properties) }
            guard H5Pget_layout(properties) == H5D_CHUNKED else { return nil }
            let rank = Int(H5Pget_chunk(properties, 0, nil))
            guard rank > 0 else { return nil }
            var dims = [hsize_t](repeating: 0, count: rank)
            try checked(H5Pget_chunk(properties, Int32(rank), &dims), "read chunk shape",
                        file: file.path, object: path)
            return dims.map { Int(clamping: $0) }
        }
    }

    /// Bytes the file holds for this dataset's elements (compressed, for chunks); 0 when none
    /// were ever written.
    public var storageBytes: Int {
        get throws(HDF5Error) {
            Int(clamping: H5Dget_storage_size(try handle.id()))
        }
    }

    /// Writes `source` (row-major, `rows.count` whole rows) into rows `rows` of the first
    /// dimension.
    public func writeRows<T: HDF5Element>(_ rows: Range<Int>, from source: UnsafeBufferPointer<T>) throws(HDF5Error) {
        let dims = try shape
        let rowWidth = dims.dropFirst().reduce(1, *)
        guard let rowCount = dims.first, rows.lowerBound >= 0, rows.upperBound <= rowCount,
              source.count == rows.count * rowWidth else {
            throw HDF5Error.shapeMismatch(file: file.path, object: path,
                                          expected: "\(rows.count * rowWidth) values within \(dims)",
                                          found: "\(source.count) values for rows \(rows)")
        }
        guard !rows.isEmpty, rowWidth > 0 else { return }
        let fileSpace = try checked(H5Dget_space(try handle.id()), "read dataspace", file: file.path, object: path)
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t](repeating: 0, count: dims.count)
        var count = dims.map { hsize_t($0) }
        start[0] = hsize_t(rows.lowerBound)
        count[0] = hsize_t(rows.count)
        try checked(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil),
                    "select rows \(rows)", file: file.path, object: path)
        let memorySpace = try checked(H5Screate_simple(Int32(count.count), &count, nil),
                                      "create dataspace", file: file.path, object: path)
        defer { H5Sclose(memorySpace) }
        try checked(H5Dwrite(try handle.id(), T.nativeType, memorySpace, fileSpace,
                             HDF5Library.defaultProperties, source.baseAddress),
                    "write rows \(rows)", file: file.path, object: path)
    }
}

extension HDF5Group {
    /// Opens dataset `name` with its own chunk cache of `chunkCacheBytes` (HDF5's default is
    /// 1 MB, too small to hold the chunks one block of rows spans when chunks also cut columns).
    public func dataset(_ name: String, chunkCacheBytes: Int) throws(HDF5Error) -> HDF5Dataset {
        let childPath = joinPath(path, name)
        let access = try checked(H5Pcreate(shard_h5p_dataset_access()), "create access properties",
                                 file: file.path, object: childPath)
        defer { H5Pclose(access) }
        // 12,421 slots: a prime well above the chunks a cache of this size holds; w0 = 1 evicts
        // fully read chunks first, which is what a reader moving forward through rows wants.
        try checked(H5Pset_chunk_cache(access, 12_421, max(chunkCacheBytes, 1 << 20), 1.0),
                    "set chunk cache", file: file.path, object: childPath)
        let parent = try objectID()
        let id = try HDF5StallGuard.watch("opening \(childPath) in \(file.path)") { H5Dopen2(parent, name, access) }
        guard id >= 0 else {
            _ = HDF5ErrorStack.take()
            // The plain open classifies the failure (not found, a group, ...) and throws it.
            _ = try dataset(name)
            throw .operationFailed(file: file.path, object: childPath, operation: "open dataset", message: "")
        }
        return HDF5Dataset(file: file, path: childPath,
                           handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Dclose($0) }))
    }

    /// Creates an empty dataset of `shape` with chunked storage, to be filled with `writeRows`.
    @discardableResult
    public func createEmptyDataset<T: HDF5Element>(
        _ name: String, of type: T.Type, shape: [Int], chunks: [Int], deflateLevel: Int? = nil
    ) throws(HDF5Error) -> HDF5Dataset {
        let childPath = joinPath(path, name)
        var dims = shape.map { hsize_t($0) }
        let space = try checked(H5Screate_simple(Int32(shape.count), &dims, nil), "create dataspace",
                                file: file.path, object: childPath)
        defer { H5Sclose(space) }
        let properties = try checked(H5Pcreate(shard_h5p_dataset_create()), "create dataset properties",
                                     file: file.path, object: childPath)
        defer { H5Pclose(properties) }
        if !shape.contains(0) {
            var chunkDims = zip(chunks, shape).map { hsize_t(max(1, min($0, $1))) }
            try checked(H5Pset_chunk(properties, Int32(chunkDims.count), &chunkDims), "set chunking",
                        file: file.path, object: childPath)
            if let deflateLevel {
                try checked(H5Pset_shuffle(properties), "set shuffle", file: file.path, object: childPath)
                try checked(H5Pset_deflate(properties, UInt32(deflateLevel)), "set deflate",
                            file: file.path, object: childPath)
            }
        }
        let id = try checked(H5Dcreate2(try objectID(), name, T.nativeType, space, HDF5Library.defaultProperties,
                                        properties, HDF5Library.defaultProperties),
                             "create dataset", file: file.path, object: childPath)
        return HDF5Dataset(file: file, path: childPath,
                           handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Dclose($0) }))
    }
}
