import CHDF5

/// What groups and datasets share: a location in a file, and attributes.
public protocol HDF5Object {
    var file: HDF5File { get }
    /// The object's absolute path inside the file, e.g. `/train/x`.
    var path: String { get }
    /// An open identifier for the object (groups open lazily).
    func objectID() throws -> hid_t
}

func joinPath(_ parent: String, _ name: String) -> String {
    if name.hasPrefix("/") { return name }
    return parent == "/" ? "/" + name : parent + "/" + name
}

/// Reads a 1-D or N-d dataspace's extent.
func extent(of space: hid_t) -> [Int] {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank > 0 else { return [] }
    var dims = [hsize_t](repeating: 0, count: rank)
    H5Sget_simple_extent_dims(space, &dims, nil)
    return dims.map(Int.init)
}
