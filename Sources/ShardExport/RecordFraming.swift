import Foundation

/// TFRecord framing, the container of TensorBoard event files. Each record is
///   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
///   | data | uint32 masked CRC-32C of data
/// (tensorflow/core/lib/io/record_writer.h).
enum RecordFraming {
    static func frame(_ data: Data) -> Data {
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        var framed = Data(capacity: data.count + 16)
        framed.append(lengthBytes)
        framed.appendLittleEndian(CRC32C.masked(lengthBytes))
        framed.append(data)
        framed.appendLittleEndian(CRC32C.masked(data))
        return framed
    }

    /// The records in `bytes`, in order. A truncated last record (a writer killed in the middle
    /// of a write) ends the list, as TensorBoard's own reader treats it; a checksum that does
    /// not match throws.
    static func records(in bytes: Data, path: String) throws(ExportError) -> [Data] {
        var records: [Data] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 12 {
            let lengthBytes = bytes[offset..<(offset + 8)]
            guard bytes.littleEndianUInt32(at: offset + 8) == CRC32C.masked(lengthBytes) else {
                throw .badEventFile(path: path, reason: "the length checksum of the record at byte \(offset - bytes.startIndex) does not match")
            }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let dataStart = offset + 12
            guard length <= UInt64(bytes.endIndex - dataStart - 4) else { break }  // truncated
            let data = bytes[dataStart..<(dataStart + Int(length))]
            guard bytes.littleEndianUInt32(at: data.endIndex) == CRC32C.masked(data) else {
                throw .badEventFile(path: path, reason: "the data checksum of the record at byte \(offset - bytes.startIndex) does not match")
            }
            records.append(Data(data))
            offset = data.endIndex + 4
        }
        return records
    }
}

extension Data {
    mutating func appendLittleEndian(_ value: UInt32) {
        var little = value.littleEndian
        Swift.withUnsafeBytes(of: &little) { append(contentsOf: $0) }
    }

    func littleEndianUInt32(at index: Index) -> UInt32 {
        self[index..<(index + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
