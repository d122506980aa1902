import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Attributes: UTF-8 strings (variable length, as h5py writes `str`), string arrays, 64-bit
/// integers and doubles, scalar or 1-D. Reading accepts fixed-length strings too.
extension HDF5Object {
    public func hasAttribute(_ name: String) -> Bool {
        guard let id = try? objectID() else { return false }
        let found = (try? HDF5StallGuard.watch("looking for the attribute \(path)@\(name) of \(file.path)") {
            H5Aexists(id, name)
        }) ?? -1
        if found < 0 { _ = HDF5ErrorStack.take() }
        return found > 0
    }

    public func attributeNames() throws(HDF5Error) -> [String] {
        let id = try objectID()
        let count = shard_h5_attribute_count(id)
        try checked(count, "count attributes", file: file.path, object: path)
        var names: [String] = []
        for index in 0..<hsize_t(count) {
            let length = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                            HDF5Library.defaultProperties)
            try checked(length, "read attribute name", file: file.path, object: path)
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                               HDF5Library.defaultProperties)
            names.append(decodeCString(buffer))
        }
        return names
    }

    // MARK: Writing

    public func setAttribute(_ name: String, _ value: String) throws(HDF5Error) {
        try writeStrings(name, [value], scalar: true)
    }

    public func setAttribute(_ name: String, _ values: [String]) throws(HDF5Error) {
        try writeStrings(name, values, scalar: false)
    }

    public func setAttribute(_ name: String, _ value: Int64) throws(HDF5Error) {
        try writeNumbers(name, [value], scalar: true)
    }

    public func setAttribute(_ name: String, _ values: [Int64]) throws(HDF5Error) {
        try writeNumbers(name, values, scalar: false)
    }

    public func setAttribute(_ name: String, _ value: Double) throws(HDF5Error) {
        try writeNumbers(name, [value], scalar: true)
    }

    public func setAttribute(_ name: String, _ values: [Double]) throws(HDF5Error) {
        try writeNumbers(name, values, scalar: false)
    }

    // MARK: Reading

    /// The attribute's element kind and element count.
    public func attributeInfo(_ name: String) throws(HDF5Error) -> (kind: HDF5ElementKind, count: Int) {
        let attribute = try openAttribute(name)
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        return (HDF5ElementKind(type: type),
                try elementCount(extent(of: space), bytesEach: 0, file: file.path, object: "\(path)@\(name)"))
    }

    public func stringAttribute(_ name: String) throws(HDF5Error) -> String {
        let values = try stringArrayAttribute(name)
        guard values.count == 1 else {
            throw HDF5Error.shapeMismatch(
                file: file.path, object: "\(path)@\(name)", expected: "one string",
                found: "\(values.count) strings")
        }
        return values[0]
    }

    public func stringArrayAttribute(_ name: String) throws(HDF5Error) -> [String] {
        let attribute = try openAttribute(name)
        defer { H5Aclose(attribute) }
        let object = "\(path)@\(name)"
        let fileType = try checked(H5Aget_type(attribute), "read attribute type",
                                   file: file.path, object: object)
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else {
            throw HDF5Error.typeMismatch(
                file: file.path, object: object, expected: "string",
                found: HDF5ElementKind(type: fileType).description)
        }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        let count = try elementCount(extent(of: space), bytesEach: 16, file: file.path, object: "\(path)@\(name)")
        if H5Tis_variable_str(fileType) > 0 {
            let memoryType = H5Tcopy(shard_h5t_c_s1())
            defer { H5Tclose(memoryType) }
            H5Tset_cset(memoryType, H5Tget_cset(fileType))
            H5Tset_size(memoryType, shard_h5t_variable())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            _ = try HDF5StallGuard.watch("reading the attribute \(path)@\(name) of \(file.path)") { () throws(HDF5Error) in
                try checked(H5Aread(attribute, memoryType, &pointers), "read attribute",
                        file: file.path, object: object)
            }
            defer { for pointer in pointers { H5free_memory(pointer) } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        } else {
            // Read fixed-length strings as stored (NULLPAD or SPACEPAD included): converting to
            // a NULLTERM type of the same width would drop a string's last character.
            let width = H5Tget_size(fileType)
            let storedType = H5Tcopy(fileType)
            defer { H5Tclose(storedType) }
            var bytes = [CChar](repeating: 0, count: width * count + 1)
            _ = try HDF5StallGuard.watch("reading the attribute \(path)@\(name) of \(file.path)") { () throws(HDF5Error) in
                try checked(H5Aread(attribute, storedType, &bytes), "read attribute",
                        file: file.path, object: object)
            }
            let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
            return (0..<count).map { index in
                let text = decodeCString(Array(bytes[(index * width)..<((index + 1) * width)]))
                return spacePadded ? String(text.reversed().drop { $0 == " " }.reversed()) : text
            }
        }
    }

    public func integerAttribute(_ name: String) throws(HDF5Error) -> Int64 {
        try singleValue(name, integerArrayAttribute(name))
    }

    public func integerArrayAttribute(_ name: String) throws(HDF5Error) -> [Int64] {
        try readNumbers(name, requireInteger: true)
    }

    public func doubleAttribute(_ name: String) throws(HDF5Error) -> Double {
        try singleValue(name, doubleArrayAttribute(name))
    }

    public func doubleArrayAttribute(_ name: String) throws(HDF5Error) -> [Double] {
        try readNumbers(name, requireInteger: false)
    }

    // MARK: Helpers

    /// A missing attribute is told from HDF5's error stack (H5E_NOTFOUND), like a missing
    /// object.
    private func openAttribute(_ name: String) throws(HDF5Error) -> hid_t {
        let id = try objectID()
        return try checked(try HDF5StallGuard.watch("opening the attribute \(path)@\(name) of \(file.path)") {
            H5Aopen(id, name, HDF5Library.defaultProperties)
        }, "open attribute", file: file.path, object: "\(path)@\(name)")
    }

    private func singleValue<T>(_ name: String, _ values: [T]) throws(HDF5Error) -> T {
        guard values.count == 1 else {
            throw HDF5Error.shapeMismatch(
                file: file.path, object: "\(path)@\(name)", expected: "one value",
                found: "\(values.count) values")
        }
        return values[0]
    }

    private func readNumbers<T: HDF5Element>(_ name: String, requireInteger: Bool) throws(HDF5Error) -> [T] {
        let attribute = try openAttribute(name)
        defer { H5Aclose(attribute) }
        let object = "\(path)@\(name)"
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        let kind = HDF5ElementKind(type: type)
        guard kind.isInteger || (!requireInteger && kind.isFloat) else {
            throw HDF5Error.typeMismatch(
                file: file.path, object: object, expected: requireInteger ? "integer" : "number",
                found: kind.description)
        }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        let count = try elementCount(extent(of: space), bytesEach: 16, file: file.path, object: "\(path)@\(name)")
        return try makeArray(count: count) { (buffer) throws(HDF5Error) in
            try HDF5StallGuard.watch("reading the attribute \(path)@\(name) of \(file.path)") { () throws(HDF5Error) in
                try checked(H5Aread(attribute, T.nativeType, buffer.baseAddress), "read attribute",
                        file: file.path, object: object)
            }
        }
    }

    private func replaceAttribute(_ name: String) throws(HDF5Error) {
        if hasAttribute(name) {
            try checked(H5Adelete(try objectID(), name), "replace attribute", file: file.path,
                        object: "\(path)@\(name)")
        }
    }

    private func makeSpace(count: Int, scalar: Bool, object: String) throws(HDF5Error) -> hid_t {
        if scalar {
            return try checked(H5Screate(H5S_SCALAR), "create dataspace", file: file.path,
                               object: object)
        }
        var dims = [hsize_t(count)]
        return try checked(H5Screate_simple(1, &dims, nil), "create dataspace", file: file.path,
                           object: object)
    }

    private func writeNumbers<T: HDF5Element>(_ name: String, _ values: [T], scalar: Bool) throws(HDF5Error) {
        try replaceAttribute(name)
        let object = "\(path)@\(name)"
        let space = try makeSpace(count: values.count, scalar: scalar, object: object)
        defer { H5Sclose(space) }
        let attribute = try checked(
            H5Acreate2(try objectID(), name, T.nativeType, space, HDF5Library.defaultProperties,
                       HDF5Library.defaultProperties),
            "create attribute", file: file.path, object: object)
        defer { H5Aclose(attribute) }
        _ = try values.withUnsafeBufferPointer { (buffer) throws(HDF5Error) in
            try checked(H5Awrite(attribute, T.nativeType, buffer.baseAddress), "write attribute",
                        file: file.path, object: object)
        }
    }

    private func writeStrings(_ name: String, _ values: [String], scalar: Bool) throws(HDF5Error) {
        try replaceAttribute(name)
        let object = "\(path)@\(name)"
        let type = H5Tcopy(shard_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, shard_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = try makeSpace(count: values.count, scalar: scalar, object: object)
        defer { H5Sclose(space) }
        let attribute = try checked(
            H5Acreate2(try objectID(), name, type, space, HDF5Library.defaultProperties,
                       HDF5Library.defaultProperties),
            "create attribute", file: file.path, object: object)
        defer { H5Aclose(attribute) }
        let cStrings = values.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers = cStrings.map { UnsafePointer<CChar>($0) }
        try checked(H5Awrite(attribute, type, &pointers), "write attribute", file: file.path,
                    object: object)
    }
}

func decodeCString(_ bytes: [CChar]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
