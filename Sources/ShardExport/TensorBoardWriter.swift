import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes scalar summaries as a TensorBoard event file: TFRecord-framed `tensorboard.Event`
/// protocol buffers, the first one holding the file version, one event per scalar.
///
/// Each `appendScalars` call is one `write(2)`, so a process killed at any instant leaves
/// whole events, at worst a truncated last record that readers skip. A resumed run opens a
/// new file after removing, from the files already there, every event past the step it
/// resumes from: those belong to work the killed process lost, and the resumed run logs them
/// again. So every step appears once, and the values equal those of a run never interrupted.
public final class TensorBoardWriter {
    public let directory: String
    /// The event file this writer appends to.
    public let path: String
    private let descriptor: Int32

    /// A new event file in `directory` (created if missing). With `resumingAfterStep`, events of
    /// the files already there with a larger step are removed first.
    public init(directory: String, resumingAfterStep lastStep: Int? = nil,
                wallTime: Double = Date().timeIntervalSince1970) throws(ExportError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory, reason: error.localizedDescription)
        }
        let existing = Self.eventFiles(in: directory)
        if let lastStep {
            for file in existing { try Self.removeEvents(after: lastStep, from: file) }
        }
        // TensorBoard reads a folder's event files in name order and never goes back: the new
        // file's timestamp field must sort after every existing one.
        var seconds = Int(wallTime)
        if let newest = existing.compactMap(Self.timestamp(ofEventFile:)).max() {
            seconds = max(seconds, newest + 1)
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        path = "\(directory)/events.out.tfevents.\(String(format: "%010d", seconds)).\(host).\(getpid())"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var version = Tensorboard_Event()
        version.wallTime = wallTime
        version.fileVersion = "brain.Event:2"
        try write([version])
    }

    deinit { close(descriptor) }

    /// Appends one event per scalar, all at `step`, in one write.
    public func appendScalars(_ scalars: [(tag: String, value: Double)], step: Int,
                              wallTime: Double = Date().timeIntervalSince1970) throws(ExportError) {
        try write(scalars.map { scalar in
            var value = Tensorboard_Summary.Value()
            value.tag = scalar.tag
            value.simpleValue = Float(scalar.value)
            var event = Tensorboard_Event()
            event.wallTime = wallTime
            event.step = Int64(step)
            event.summary.value = [value]
            return event
        })
    }

    public func appendScalar(tag: String, value: Double, step: Int,
                             wallTime: Double = Date().timeIntervalSince1970) throws(ExportError) {
        try appendScalars([(tag, value)], step: step, wallTime: wallTime)
    }

    /// Pushes what was written to the disk (each append already reached the kernel).
    public func flush() throws(ExportError) {
        guard fsync(descriptor) == 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    private func write(_ events: [Tensorboard_Event]) throws(ExportError) {
        var bytes = Data()
        for event in events {
            guard let data = try? event.serializedData() else {
                preconditionFailure("a Tensorboard_Event always serializes")
            }
            bytes.append(RecordFraming.frame(data))
        }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            written += result
        }
    }

    // MARK: Reading back

    /// The event files of `directory` in the order TensorBoard reads them (by name).
    public static func eventFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.contains("tfevents") && !$0.hasPrefix(".") }.sorted()
            .map { "\(directory)/\($0)" }
    }

    /// Every scalar in an event file, in file order.
    public static func scalars(inEventFile path: String) throws(ExportError) -> [(tag: String, step: Int, value: Float)] {
        try events(inEventFile: path).flatMap { event in
            event.summary.value.map { (tag: $0.tag, step: Int(event.step), value: $0.simpleValue) }
        }
    }

    static func events(inEventFile path: String) throws(ExportError) -> [Tensorboard_Event] {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .badEventFile(path: path, reason: "it cannot be read")
        }
        return try RecordFraming.records(in: bytes, path: path).map { record throws(ExportError) in
            do { return try Tensorboard_Event(serializedBytes: record) } catch {
                throw .badEventFile(path: path, reason: "a record is not a tensorboard.Event: \(error)")
            }
        }
    }

    /// Rewrites `path` without its events after `step` (atomically: write aside, rename over);
    /// leaves it untouched when it holds none.
    static func removeEvents(after step: Int, from path: String) throws(ExportError) {
        let events = try events(inEventFile: path)
        let kept = events.filter { $0.step <= step }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let keptBytes = kept.reduce(into: Data()) { $0.append(RecordFraming.frame(try! $1.serializedData())) }
        guard kept.count < events.count || keptBytes.count != size else { return }
        do {
            try keptBytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    static func timestamp(ofEventFile path: String) -> Int? {
        let parts = (path as NSString).lastPathComponent.split(separator: ".")
        guard let index = parts.firstIndex(of: "tfevents"), index + 1 < parts.count else { return nil }
        return Int(parts[index + 1])
    }
}
