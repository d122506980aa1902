import CHDF5

/// What groups and datasets share: a location in a file, and attributes.
public protocol HDF5Object {
    var file: HDF5File { get }
    /// The object's absolute path inside the file, e.g. `/train/x`.
    var path: String { get }
    /// An open identifier for the object (groups open lazily).
    func objectID() throws(HDF5Error) -> hid_t
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
    // A corrupt file may claim more than Int.max: clamped, it fails every size check after.
    return dims.map { Int(clamping: $0) }
}

extension HDF5ObjectKind {
    init(identifier: hid_t) {
        switch H5Iget_type(identifier) {
        case H5I_GROUP: self = .group
        case H5I_DATASET: self = .dataset
        case H5I_DATATYPE: self = .namedDatatype
        default: self = .other
        }
    }
}
