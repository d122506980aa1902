#if canImport(Glibc)
import Glibc
#endif

/// A CSV file with a header row of column names, read line by line (never whole): one column
/// holds the label or target, every other column a feature. Opening it reads it once to check
/// every row (the same number of fields as the header, a number in every feature field) and
/// to find the labels' kind: numbers, or names that become classes in sorted order.
/// Fields are separated by commas; surrounding spaces and double quotes are dropped.
public final class CSVTable: ArrayImporter.Source {
    public let path: String
    public let columns: [String]
    public let labelColumn: Int
    public private(set) var rowCount = 0
    public var width: Int { columns.count - 1 }
    public var targetWidth: Int { 1 }
    /// Sorted class names when some label is not a number.
    public private(set) var classNames: [String]?
    public var targetsMayBeLabels: Bool { true }

    public init(path: String, labelColumn name: String) throws(DataError) {
        self.path = path
        var header: [String]?
        var names = Set<String>()
        var allNumeric = true
        var labelIndex = -1
        var rows = 0
        try Self.forEachLine(path) { line, number throws(DataError) in
            let fields = Self.fields(of: line)
            guard let columns = header else {
                header = fields
                guard let index = fields.firstIndex(of: name) else {
                    throw .badImport(file: path, reason: "no column '\(name)' in the header (columns: \(fields.prefix(12).joined(separator: ", "))\(fields.count > 12 ? ", ..." : "")); pass the label column's name with --label-column")
                }
                labelIndex = index
                return
            }
            guard fields.count == columns.count else {
                throw .badImport(file: path, reason: "line \(number) has \(fields.count) fields, the header has \(columns.count)")
            }
            for (column, field) in fields.enumerated() where column != labelIndex {
                guard Self.number(field) != nil else {
                    throw .badImport(file: path, reason: "line \(number), column '\(columns[column])': '\(field.prefix(40))' is not a number")
                }
            }
            let label = fields[labelIndex]
            if Self.number(label) == nil {
                guard !label.isEmpty else {
                    throw .badImport(file: path, reason: "line \(number) has no value in the label column '\(name)'")
                }
                allNumeric = false
            }
            if names.count <= 100_000 { names.insert(label) }
            rows += 1
        }
        guard let header else { throw .badImport(file: path, reason: "the file is empty; it needs a header row") }
        guard rows > 0 else { throw .badImport(file: path, reason: "no data rows below the header") }
        guard header.count >= 2 else { throw .badImport(file: path, reason: "a single column; it needs features and a label column") }
        columns = header
        labelColumn = labelIndex
        rowCount = rows
        if !allNumeric {
            guard names.count <= 100_000 else {
                throw .badImport(file: path, reason: "more than 100,000 distinct non-numeric labels in '\(name)'")
            }
            classNames = names.sorted()
        }
    }

    /// Takes the class names of another table (the train split's), so a test split's labels
    /// mean the same classes; a name the train split lacks is an error.
    public func useClassNames(_ names: [String]?) throws(DataError) {
        guard let own = classNames else { return }
        guard let names, Set(own).isSubset(of: names) else {
            throw .badImport(file: path, reason: "labels \(Set(own).subtracting(names ?? []).sorted().prefix(5)) do not occur in the train file")
        }
        classNames = names
    }

    public func forEachBlock(_ body: (Int, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>) throws(DataError) -> Void) throws(DataError) {
        let blockRows = max(1, (1 << 20) / max(1, width))
        var x = [Double](repeating: 0, count: blockRows * width)
        var y = [Double](repeating: 0, count: blockRows)
        var classIndex: [String: Int] = [:]
        for (index, name) in (classNames ?? []).enumerated() { classIndex[name] = index }
        var filled = 0
        var first = 0
        func flush() throws(DataError) {
            guard filled > 0 else { return }
            try x.withUnsafeBufferPointer { xs throws(DataError) in
                try y.withUnsafeBufferPointer { ys throws(DataError) in
                    try body(first, UnsafeBufferPointer(rebasing: xs[0..<(filled * width)]),
                             UnsafeBufferPointer(rebasing: ys[0..<filled]))
                }
            }
            first += filled
            filled = 0
        }
        var isHeader = true
        try Self.forEachLine(path) { line, _ throws(DataError) in
            if isHeader { isHeader = false; return }
            var column = 0
            for (index, field) in Self.fields(of: line).enumerated() {
                if index == labelColumn {
                    y[filled] = classNames == nil ? Self.number(field)! : Double(classIndex[field]!)
                } else {
                    x[filled * width + column] = Self.number(field)!
                    column += 1
                }
            }
            filled += 1
            if filled == blockRows { try flush() }
        }
        try flush()
    }

    /// Calls `body` with each non-empty line (without its line break) and its 1-based number.
    static func forEachLine(_ path: String, _ body: (String, Int) throws(DataError) -> Void) throws(DataError) {
        guard let file = fopen(path, "r") else {
            throw .badImport(file: path, reason: "cannot open it (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        var number = 0
        while true {
            let length = getline(&buffer, &capacity, file)
            if length < 0 { break }
            number += 1
            var line = String(cString: buffer!)
            while line.last == "\n" || line.last == "\r" || line.last == "\r\n" { line.removeLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            try body(line, number)
        }
    }

    static func fields(of line: String) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: " \t").trimmingQuotes
        }
    }

    /// The field as a finite or infinite number (NaN and inf are caught as values later), nil
    /// when it is not one.
    static func number(_ field: String) -> Double? {
        guard !field.isEmpty else { return nil }
        return Double(field)
    }
}
