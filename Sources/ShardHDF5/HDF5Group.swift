import CHDF5

/// A group in an open file: creates and opens child groups and datasets.
///
/// Sendable: a file reference, a path and a handle, each Sendable (see `HDF5Handle`).
public struct HDF5Group: HDF5Object, Sendable {
    public let file: HDF5File
    public let path: String
    private let handle: HDF5Handle?

    init(file: HDF5File, path: String, handle: HDF5Handle?) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    public func objectID() throws(HDF5Error) -> hid_t {
        if let handle { return try handle.id() }
        return try file.handle.id()  // the root group is addressed through the file
    }

    /// Closes the group, throwing `closeFailed` when HDF5 fails to; the root group closes
    /// with its file.
    public func close() throws(HDF5Error) {
        try handle?.close()
    }

    /// True when a link `name` exists here (a child group or dataset; nested paths allowed).
    public func contains(_ name: String) -> Bool {
        guard let id = try? objectID() else { return false }
        // Check each path component so a missing intermediate group is not an error.
        var prefix = ""
        for component in name.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if H5Lexists(id, prefix, HDF5Library.defaultProperties) <= 0 {
                _ = HDF5ErrorStack.take()
                return false
            }
        }
        return true
    }

    /// Opens the child group `name` (nested paths allowed). A missing object, and an object
    /// that is not a group, each give their own error, read from HDF5's error stack.
    public func group(_ name: String) throws(HDF5Error) -> HDF5Group {
        let childPath = joinPath(path, name)
        let id = try open(name, as: .group, path: childPath) { H5Gopen2($0, $1, $2) }
        return HDF5Group(file: file, path: childPath,
                         handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Gclose($0) }))
    }

    @discardableResult
    public func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let childPath = joinPath(path, name)
        let id = try checked(
            H5Gcreate2(try objectID(), name, HDF5Library.defaultProperties,
                       HDF5Library.defaultProperties, HDF5Library.defaultProperties),
            "create group", file: file.path, object: childPath)
        return HDF5Group(file: file, path: childPath,
                         handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Gclose($0) }))
    }

    /// Opens `name` if it exists, creates it otherwise.
    public func groupCreatingIfNeeded(_ name: String) throws(HDF5Error) -> HDF5Group {
        contains(name) ? try group(name) : try createGroup(name)
    }

    /// Opens the child dataset `name` (nested paths allowed), with the same errors as `group`.
    public func dataset(_ name: String) throws(HDF5Error) -> HDF5Dataset {
        let childPath = joinPath(path, name)
        let id = try open(name, as: .dataset, path: childPath) { H5Dopen2($0, $1, $2) }
        return HDF5Dataset(file: file, path: childPath,
                           handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Dclose($0) }))
    }

    /// What the object `name` is, read from HDF5 (H5Oopen, H5Iget_type); nil when there is
    /// no such object.
    public func kind(of name: String) -> HDF5ObjectKind? {
        guard let id = try? objectID() else { return nil }
        let object = (try? HDF5StallGuard.watch("opening \(joinPath(path, name)) in \(file.path)") {
            H5Oopen(id, name, HDF5Library.defaultProperties)
        }) ?? -1
        guard object >= 0 else {
            _ = HDF5ErrorStack.take()
            return nil
        }
        defer { H5Oclose(object) }
        return HDF5ObjectKind(identifier: object)
    }

    /// Runs an open call (H5Gopen2, H5Dopen2); on failure, a wrong kind is confirmed by
    /// asking HDF5 what the object is, everything else is classified from the error stack.
    private func open(
        _ name: String, as expected: HDF5ObjectKind, path childPath: String,
        _ call: (hid_t, String, hid_t) -> hid_t
    ) throws(HDF5Error) -> hid_t {
        let parent = try objectID()
        // Opening reads the object's header, where a damaged file can make HDF5 1.10.8 divide
        // by zero or overrun a buffer: watched like every metadata read.
        let id = try HDF5StallGuard.watch("opening \(childPath) in \(file.path)") {
            call(parent, name, HDF5Library.defaultProperties)
        }
        guard id < 0 else { return id }
        let stack = HDF5ErrorStack.take()
        if stack.isWrongKind, let found = kind(of: name), found != expected {
            throw .wrongObjectKind(file: file.path, object: childPath, expected: expected, found: found)
        }
        throw stack.error(operation: "open \(expected)", file: file.path, object: childPath)
    }

    /// The children of this group, in name order, with what each is.
    public func children() throws(HDF5Error) -> [(name: String, isGroup: Bool)] {
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
            // nil: a dangling soft or external link, nothing to show
            guard let kind = kind(of: childName) else { continue }
            result.append((childName, kind == .group))
        }
        return result
    }

    /// Writes a new dataset of `shape` from `values` (row-major). `chunks` turns on chunked
    /// storage, `deflateLevel` (1-9, needs chunks) gzip compression with byte shuffling.
    @discardableResult
    public func createDataset<T: HDF5Element>(
        _ name: String, shape: [Int], values: UnsafeBufferPointer<T>,
        chunks: [Int]? = nil, deflateLevel: Int? = nil
    ) throws(HDF5Error) -> HDF5Dataset {
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
            file: file, path: childPath,
            handle: HDF5Handle(id, file: file.path, object: childPath, closer: { H5Dclose($0) }))
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
    ) throws(HDF5Error) -> HDF5Dataset {
        try values.withUnsafeBufferPointer { (buffer) throws(HDF5Error) in
            try createDataset(name, shape: shape, values: buffer, chunks: chunks,
                              deflateLevel: deflateLevel)
        }
    }
}
