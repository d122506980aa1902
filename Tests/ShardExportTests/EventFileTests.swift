import Foundation
@testable import ShardExport
import Testing

/// CRC-32C against published vectors, the TFRecord framing, and event files across a resume.
struct EventFileTests {
    @Test func crc32cMatchesKnownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of 0xFF, and 0..31.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test func framingRoundTripsAndStopsAtATruncatedRecord() throws {
        let payloads = [Data("first".utf8), Data(), Data(repeating: 7, count: 300)]
        var bytes = payloads.reduce(into: Data()) { $0.append(RecordFraming.frame($1)) }
        #expect(bytes.count == payloads.map(\.count).reduce(0, +) + 16 * payloads.count)
        #expect(try RecordFraming.records(in: bytes, path: "x") == payloads)
        bytes.append(RecordFraming.frame(Data("cut short".utf8)).dropLast(3))
        #expect(try RecordFraming.records(in: bytes, path: "x") == payloads)
        bytes[bytes.startIndex + 14] ^= 1  // a data byte of the first record
        #expect(throws: ExportError.self) { try RecordFraming.records(in: bytes, path: "x") }
    }

    @Test func aResumedWriterDropsLostStepsAndSortsAfter() throws {
        let directory = NSTemporaryDirectory() + "tb-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TensorBoardWriter(directory: directory, wallTime: 1_000)
        for step in [10, 20, 30] {
            try first.appendScalars([("loss", Double(step)), ("accuracy", 0.5)], step: step, wallTime: 1_000)
        }
        // The run resumes from a checkpoint at step 20; step 30 was lost with the process.
        let second = try TensorBoardWriter(directory: directory, resumingAfterStep: 20, wallTime: 1_000)
        try second.appendScalars([("loss", 30), ("accuracy", 0.75)], step: 30)
        let files = TensorBoardWriter.eventFiles(in: directory)
        #expect(files == [first.path, second.path].sorted() && files.last == second.path)
        let scalars = try files.flatMap { path throws(ExportError) in try TensorBoardWriter.scalars(inEventFile: path) }
        #expect(scalars.filter { $0.tag == "loss" }.map(\.step) == [10, 20, 30])
        #expect(scalars.filter { $0.tag == "accuracy" }.map(\.value) == [0.5, 0.5, 0.75])
        let events = try TensorBoardWriter.events(inEventFile: second.path)
        #expect(events.first?.fileVersion == "brain.Event:2")
    }
}
