import CHDF5

/// A group in an open file: creates and opens child groups and datasets.
public struct HDF5Group: HDF5Object, @unchecked Sendable {
    public let file: HDF5File
    public let path: String
    private let handle: HDF5Handle?

    init(file: HDF5File, path: String, handle: HDF5Handle?) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    public func objectID() throws -> hid_t {
        if let handle { return handle.id }
        return file.handle.id  // the root group is addressed through the file
    }

    /// True when a link `name` exists here (a child group or dataset; nested paths allowed).
    public func contains(_ name: String) -> Bool {
        HDF5Library.prepare()
        guard let id = try? objectID() else { return false }
        // Check each path component so a missing intermediate group is not an error.
        var prefix = ""
        for component in name.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if H5Lexists(id, prefix, HDF5Library.defaultProperties) <= 0 {
                _ = HDF5Library.lastErrorMessage()
                return false
            }
        }
        return true
    }

    public func group(_ name: String) throws -> HDF5Group {
        let childPath = joinPath(path, name)
        guard contains(name) else {
            throw HDF5Error.objectNotFound(file: file.path, object: childPath)
        }
        let id = H5Gopen2(try objectID(), name, HDF5Library.defaultProperties)
        guard id >= 0 else {
            throw HDF5Error.typeMismatch(
                file: file.path, object: childPath, expected: "a group", found: "a dataset")
        }
        return HDF5Group(file: file, path: childPath, handle: HDF5Handle(id, closer: H5Gclose))
    }

    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let childPath = joinPath(path, name)
        let id = try checked(
            H5Gcreate2(try objectID(), name, HDF5Library.defaultProperties,
                       HDF5Library.defaultProperties, HDF5Library.defaultProperties),
            "create group", file: file.path, object: childPath)
        return HDF5Group(file: file, path: childPath, handle: HDF5Handle(id, closer: H5Gclose))
    }

    /// Opens `name` if it exists, creates it otherwise.
    public func groupCreatingIfNeeded(_ name: String) throws -> HDF5Group {
        contains(name) ? try group(name) : try createGroup(name)
    }

    public func dataset(_ name: String) throws -> HDF5Dataset {
        let childPath = joinPath(path, name)
        guard contains(name) else {
            throw HDF5Error.objectNotFound(file: file.path, object: childPath)
        }
        let id = H5Dopen2(try objectID(), name, HDF5Library.defaultProperties)
        guard id >= 0 else {
            _ = HDF5Library.lastErrorMessage()
            throw HDF5Error.typeMismatch(
                file: file.path, object: childPath, expected: "a dataset", found: "a group")
        }
        return HDF5Dataset(file: file, path: childPath, handle: HDF5Handle(id, closer: H5Dclose))
    }

    /// The children of this group, in name order, with what each is.
    public func children() throws -> [(name: String, isGroup: Bool)] {
        let id = try objectID()
        var info = H5G_info_t()
        try checked(H5Gget_info(id, &info), "list group", file: file.path, object: path)
        var result: [(String, Bool)] = []
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, HDF5Library.defaultProperties)
            try checked(length, "read link name", file: file.path, object: path)
            var name = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &name, name.count,
                HDF5Library.defaultProperties)
            let childName = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) },
                                   as: UTF8.self)
            let object = H5Oopen(id, childName, HDF5Library.defaultProperties)
            guard object >= 0 else {
                _ = HDF5Library.lastErrorMessage()
                continue  // a dangling soft or external link: nothing to show
            }
            let isGroup = H5Iget_type(object) == H5I_GROUP
            H5Oclose(object)
            result.append((childName, isGroup))
        }
        return result
    }

    /// Writes a new dataset of `shape` from `values` (row-major). `chunks` turns on chunked
    /// storage, `deflateLevel` (1-9, needs chunks) gzip compression with byte shuffling.
    @discardableResult
    public func createDataset<T: HDF5Element>(
        _ name: String, shape: [Int], values: UnsafeBufferPointer<T>,
        chunks: [Int]? = nil, deflateLevel: Int? = nil
    ) throws -> HDF5Dataset {
        let childPath = joinPath(path, name)
        let expected = shape.reduce(1, *)
        guard values.count == expected else {
            throw HDF5Error.shapeMismatch(
                file: file.path, object: childPath, expected: "\(expected) values for \(shape)",
                found: "\(values.count) values")
        }
        var dims = shape.map { hsize_t($0) }
        let space = try checked(
            H5Screate_simple(Int32(shape.count), &dims, nil), "create dataspace",
            file: file.path, object: childPath)
        defer { H5Sclose(space) }
        let properties = try checked(
            H5Pcreate(shard_h5p_dataset_create()), "create dataset properties",
            file: file.path, object: childPath)
        defer { H5Pclose(properties) }
        if let chunks, !shape.contains(0) {
            var chunkDims = zip(chunks, shape).map { hsize_t(max(1, min($0, $1))) }
            try checked(H5Pset_chunk(properties, Int32(chunkDims.count), &chunkDims),
                        "set chunking", file: file.path, object: childPath)
            if let deflateLevel {
                try checked(H5Pset_shuffle(properties), "set shuffle", file: file.path,
                            object: childPath)
                try checked(H5Pset_deflate(properties, UInt32(deflateLevel)), "set deflate",
                            file: file.path, object: childPath)
            }
        }
        let id = try checked(
            H5Dcreate2(try objectID(), name, T.nativeType, space, HDF5Library.defaultProperties,
                       properties, HDF5Library.defaultProperties),
            "create dataset", file: file.path, object: childPath)
        let dataset = HDF5Dataset(
            file: file, path: childPath, handle: HDF5Handle(id, closer: H5Dclose))
        if expected > 0 {
            try checked(
                H5Dwrite(id, T.nativeType, shard_h5s_all(), shard_h5s_all(),
                         HDF5Library.defaultProperties, values.baseAddress),
                "write dataset", file: file.path, object: childPath)
        }
        return dataset
    }

    @discardableResult
    public func createDataset<T: HDF5Element>(
        _ name: String, shape: [Int], values: [T], chunks: [Int]? = nil, deflateLevel: Int? = nil
    ) throws -> HDF5Dataset {
        try values.withUnsafeBufferPointer {
            try createDataset(name, shape: shape, values: $0, chunks: chunks,
                              deflateLevel: deflateLevel)
        }
    }
}
