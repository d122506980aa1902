/// A fixed-size array of `Element` that owns its memory, for a split's stored bytes and
/// labels: readable by several threads at once through `pointer`, written by one owner (a
/// streaming reader writes only ring slots no step is reading; see `StreamingReader`).
public final class ElementBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public init(count: Int, repeating value: Element) {
        precondition(count >= 0)
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    /// A copy of `values`.
    init(values: [Element]) {
        count = values.count
        pointer = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Element] { Array(buffer) }
    public subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}

extension ElementBuffer: ExpressibleByArrayLiteral {
    public convenience init(arrayLiteral elements: Element...) { self.init(elements) }

    public convenience init(_ values: [Element]) {
        self.init(values: values)
    }
}
