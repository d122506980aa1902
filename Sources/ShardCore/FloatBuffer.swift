/// A fixed-size, 64-byte aligned, zero-initialised array of `Float` that owns its memory.
///
/// Parameters, gradients, optimizer slots, activations and datasets all live in these: one
/// allocation each, made before training starts, so nothing is allocated inside a step. Layers,
/// the optimizer and the aggregator work on its raw pointer with explicit sizes.
///
/// `@unchecked Sendable` because it hands out a raw pointer to mutable memory, and the
/// data-parallel engine gives the same buffer to several threads. What makes that safe: the
/// pointer and count never change after `init`, and which thread may write which range, and
/// when, is the engine's threading rule (docs/engine.md, WorkerPool.swift): disjoint ranges
/// within a phase, published to the next phase by the pool's release/acquire handoff.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public func fill(with value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "copy between buffers of \(other.count) and \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// The contents as a Swift array (allocates; for tests, files and reports, not the hot path).
    public var array: [Float] { Array(buffer) }

    /// True when every element is finite (no NaN, no infinity).
    public var isFinite: Bool {
        for index in 0..<count where !pointer[index].isFinite { return false }
        return true
    }
}
