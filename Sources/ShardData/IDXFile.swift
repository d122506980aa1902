import CZlib

/// An IDX file (the MNIST family's format), gzip-compressed or not: a magic number
/// 0x00 0x00 <type> <rank>, big-endian 32-bit dimensions, then the elements. Only unsigned
/// bytes (type 0x08) are supported, which is what (Fashion-)MNIST uses.
public struct IDXFile: Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    public static func read(path: String) throws(DataError) -> IDXFile {
        guard let file = gzopen(path, "rb") else {
            throw DataError.invalidIDX(file: path, reason: "cannot open the file")
        }
        defer { gzclose(file) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if read < 0 { throw DataError.invalidIDX(file: path, reason: "corrupt gzip stream") }
            if read == 0 { break }
            data.append(contentsOf: chunk[0..<Int(read)])
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: [UInt8], path: String) throws(DataError) -> IDXFile {
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw DataError.invalidIDX(file: path, reason: "bad magic number")
        }
        guard data[2] == 0x08 else {
            throw DataError.invalidIDX(file: path, reason: "element type 0x\(String(data[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(data[3])
        guard rank >= 1, data.count >= 4 + 4 * rank else {
            throw DataError.invalidIDX(file: path, reason: "header too short for rank \(rank)")
        }
        var dimensions: [Int] = []
        for index in 0..<rank {
            let offset = 4 + 4 * index
            dimensions.append(Int(data[offset]) << 24 | Int(data[offset + 1]) << 16
                              | Int(data[offset + 2]) << 8 | Int(data[offset + 3]))
        }
        let headerSize = 4 + 4 * rank
        // The product of up to 255 dimensions of up to 2^32 - 1 each overflows Int: check.
        var expected = 1
        for dimension in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw DataError.invalidIDX(file: path, reason: "dimensions \(dimensions) describe more bytes than any file holds")
            }
            expected = product
        }
        guard data.count - headerSize == expected else {
            throw DataError.invalidIDX(
                file: path,
                reason: "dimensions \(dimensions) need \(expected) bytes, the file has \(data.count - headerSize)")
        }
        return IDXFile(dimensions: dimensions, bytes: Array(data[headerSize...]))
    }
}
