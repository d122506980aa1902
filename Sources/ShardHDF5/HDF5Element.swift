import CHDF5

/// The element types ShardTrain reads and writes. HDF5 converts between numeric types on read,
/// so a dataset stored as float64 can be read as `Float`, and any integer type as `Int64`.
public protocol HDF5Element: Sendable {
    static var nativeType: hid_t { get }
}

extension Float: HDF5Element { public static var nativeType: hid_t { shard_h5t_native_float() } }
extension Double: HDF5Element { public static var nativeType: hid_t { shard_h5t_native_double() } }
extension UInt8: HDF5Element { public static var nativeType: hid_t { shard_h5t_native_uint8() } }
extension Int32: HDF5Element { public static var nativeType: hid_t { shard_h5t_native_int32() } }
extension Int64: HDF5Element { public static var nativeType: hid_t { shard_h5t_native_int64() } }

/// What a dataset or attribute holds, as stored in the file.
public enum HDF5ElementKind: Equatable, Sendable, CustomStringConvertible {
    case float(bits: Int)
    case signedInteger(bits: Int)
    case unsignedInteger(bits: Int)
    case string
    case other(String)

    public var isInteger: Bool {
        switch self {
        case .signedInteger, .unsignedInteger: return true
        default: return false
        }
    }

    public var isFloat: Bool { if case .float = self { return true } else { return false } }

    /// Bytes per element as stored, for numbers.
    public var bytes: Int? {
        switch self {
        case .float(let bits), .signedInteger(let bits), .unsignedInteger(let bits): return bits / 8
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .float(let bits): return "float\(bits)"
        case .signedInteger(let bits): return "int\(bits)"
        case .unsignedInteger(let bits): return "uint\(bits)"
        case .string: return "string"
        case .other(let name): return name
        }
    }

    init(type: hid_t) {
        let size = Int(H5Tget_size(type)) * 8
        switch H5Tget_class(type) {
        case H5T_FLOAT: self = .float(bits: size)
        case H5T_INTEGER:
            self = H5Tget_sign(type) == H5T_SGN_NONE
                ? .unsignedInteger(bits: size) : .signedInteger(bits: size)
        case H5T_STRING: self = .string
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        default: self = .other("unsupported type")
        }
    }
}
