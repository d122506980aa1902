#if canImport(Glibc)
import Glibc
#endif

/// A numpy .npy file (format versions 1-3), read a block of rows at a time: the magic
/// `\x93NUMPY`, the version, a little-endian header length, then a Python dict literal with
/// `descr` (e.g. '<f4', '|u1', '<i8'), `fortran_order` and `shape`, then the C-order data.
public final class NpyFile {
    public enum ElementType: String, Sendable {
        case uint8 = "u1", int8 = "i1", uint16 = "u2", int16 = "i2", uint32 = "u4", int32 = "i4"
        case uint64 = "u8", int64 = "i8", float32 = "f4", float64 = "f8", bool = "b1"
        var bytes: Int { Int(String(rawValue.dropFirst()))! }
        public var isInteger: Bool { self != .float32 && self != .float64 }
    }

    public let path: String
    public let shape: [Int]
    public let elementType: ElementType
    let dataOffset: Int
    private let handle: UnsafeMutablePointer<FILE>

    public var rowCount: Int { shape.first ?? 1 }
    /// Values per row (the product of the other dimensions).
    public var rowWidth: Int { shape.dropFirst().reduce(1, *) }

    public init(path: String) throws(DataError) {
        self.path = path
        guard let handle = fopen(path, "rb") else {
            throw .badImport(file: path, reason: "cannot open it (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
        var prefix = [UInt8](repeating: 0, count: 12)
        let got = fread(&prefix, 1, 12, handle)
        guard got >= 10, prefix[0] == 0x93, Array(prefix[1..<6]) == Array("NUMPY".utf8) else {
            fclose(handle)
            throw .badImport(file: path, reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = prefix[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
            headerStart = 10
        case 2, 3:
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
            headerStart = 12
        default:
            fclose(handle)
            throw .badImport(file: path, reason: ".npy format version \(major) (versions 1-3 are read)")
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        fseek(handle, headerStart, SEEK_SET)
        guard fread(&header, 1, headerLength, handle) == headerLength else {
            fclose(handle)
            throw .badImport(file: path, reason: "the header is cut short")
        }
        dataOffset = headerStart + headerLength
        let text = String(decoding: header, as: UTF8.self)
        do throws(DataError) {
            let descr = try Self.value(of: "descr", in: text, path: path)
            let order = try Self.value(of: "fortran_order", in: text, path: path)
            let shapeText = try Self.value(of: "shape", in: text, path: path)
            let type = descr.trimmingQuotes
            guard let byteOrder = type.first, let element = ElementType(rawValue: String(type.dropFirst())) else {
                throw .badImport(file: path, reason: "element type \(descr) is not supported (integers, floats or bools)")
            }
            guard byteOrder == "<" || byteOrder == "|" || (byteOrder == "=" ) || element.bytes == 1 else {
                throw .badImport(file: path, reason: "big-endian data (\(descr)); save it little-endian, e.g. x.astype(x.dtype.newbyteorder('<'))")
            }
            guard order == "False" else {
                throw .badImport(file: path, reason: "Fortran-ordered data; save np.ascontiguousarray(x) instead")
            }
            let dims = shapeText.filter { !"() ".contains($0) }.split(separator: ",").map { Int($0) }
            guard dims.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw .badImport(file: path, reason: "cannot read the shape \(shapeText)")
            }
            shape = dims.map { $0! }
            elementType = element
        } catch {
            fclose(handle)
            throw error
        }
        fseek(handle, 0, SEEK_END)
        let size = ftell(handle)
        let expected = dataOffset + shape.reduce(1, *) * elementType.bytes
        guard size == expected else {
            fclose(handle)
            throw .badImport(file: path, reason: "the header's shape \(shape) of \(elementType.rawValue) needs \(expected) bytes, the file has \(size)")
        }
    }

    deinit { fclose(handle) }

    /// Reads rows `rows` as Doubles into `destination` [rows.count x rowWidth].
    public func readRows(_ rows: Range<Int>, into destination: UnsafeMutableBufferPointer<Double>,
                         scratch: inout [UInt8]) throws(DataError) {
        let count = rows.count * rowWidth
        let bytes = count * elementType.bytes
        if scratch.count < bytes { scratch = [UInt8](repeating: 0, count: bytes) }
        fseek(handle, dataOffset + rows.lowerBound * rowWidth * elementType.bytes, SEEK_SET)
        guard scratch.withUnsafeMutableBytes({ fread($0.baseAddress, 1, bytes, handle) }) == bytes else {
            throw .badImport(file: path, reason: "rows \(rows.lowerBound)..<\(rows.upperBound) could not be read")
        }
        scratch.withUnsafeBytes { raw in
            func convert<T>(_ type: T.Type, _ value: (T) -> Double) {
                for index in 0..<count { destination[index] = value(raw.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)) }
            }
            switch elementType {
            case .uint8, .bool: convert(UInt8.self) { Double($0) }
            case .int8: convert(Int8.self) { Double($0) }
            case .uint16: convert(UInt16.self) { Double(UInt16(littleEndian: $0)) }
            case .int16: convert(Int16.self) { Double(Int16(littleEndian: $0)) }
            case .uint32: convert(UInt32.self) { Double(UInt32(littleEndian: $0)) }
            case .int32: convert(Int32.self) { Double(Int32(littleEndian: $0)) }
            case .uint64: convert(UInt64.self) { Double(UInt64(littleEndian: $0)) }
            case .int64: convert(Int64.self) { Double(Int64(littleEndian: $0)) }
            case .float32: convert(UInt32.self) { Double(Float(bitPattern: UInt32(littleEndian: $0))) }
            case .float64: convert(UInt64.self) { Double(bitPattern: UInt64(littleEndian: $0)) }
            }
        }
    }

    /// The text after `'key':` up to the next top-level comma (a shape's parentheses kept whole).
    private static func value(of key: String, in header: String, path: String) throws(DataError) -> String {
        guard let range = header.range(of: "'\(key)'") else {
            throw .badImport(file: path, reason: "the header has no '\(key)'")
        }
        var rest = header[range.upperBound...].drop { $0 == " " || $0 == ":" }
        var depth = 0
        var value = ""
        while let character = rest.first {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," || character == "}") && depth == 0 { break }
            value.append(character)
            rest = rest.dropFirst()
        }
        return value.trimmingCharacters(in: " ")
    }
}

/// Features from one .npy and targets from another, as an importer source.
public struct NpyPair: ArrayImporter.Source {
    public let features: NpyFile
    public let targets: NpyFile
    public var path: String { features.path }
    public var rowCount: Int { features.rowCount }
    public var width: Int { features.rowWidth }
    public var targetWidth: Int { targets.rowWidth }
    public var classNames: [String]? { nil }
    public var targetsMayBeLabels: Bool { targets.elementType.isInteger }

    public init(features: String, targets: String) throws(DataError) {
        self.features = try NpyFile(path: features)
        self.targets = try NpyFile(path: targets)
        guard self.features.shape.count >= 2 else {
            throw .badImport(file: features, reason: "shape \(self.features.shape); features need N x D (or N x ...)")
        }
        guard self.targets.shape.count <= 2, self.targets.rowCount == self.features.rowCount else {
            throw .badImport(file: targets, reason: "shape \(self.targets.shape); expected \(self.features.rowCount) labels (N) or targets (N x K) for the \(self.features.rowCount) rows of \(features)")
        }
    }

    public func forEachBlock(_ body: (Int, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>) throws(DataError) -> Void) throws(DataError) {
        let blockRows = max(1, (1 << 20) / max(1, width * features.elementType.bytes))
        var x = [Double](repeating: 0, count: blockRows * width)
        var y = [Double](repeating: 0, count: blockRows * targetWidth)
        var scratch: [UInt8] = []
        var start = 0
        while start < rowCount {
            let rows = start..<min(start + blockRows, rowCount)
            try x.withUnsafeMutableBufferPointer { buffer throws(DataError) in
                try features.readRows(rows, into: buffer, scratch: &scratch)
            }
            try y.withUnsafeMutableBufferPointer { buffer throws(DataError) in
                try targets.readRows(rows, into: buffer, scratch: &scratch)
            }
            try x.withUnsafeBufferPointer { xs throws(DataError) in
                try y.withUnsafeBufferPointer { ys throws(DataError) in
                    try body(start, UnsafeBufferPointer(rebasing: xs[0..<(rows.count * width)]),
                             UnsafeBufferPointer(rebasing: ys[0..<(rows.count * targetWidth)]))
                }
            }
            start = rows.upperBound
        }
    }
}

extension String {
    var trimmingQuotes: String { String(filter { $0 != "'" && $0 != "\"" }) }
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
