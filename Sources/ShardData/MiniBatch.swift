import ShardCore

/// Preallocated storage for one mini-batch, gathered row by row from a split in the epoch's
/// order. Sized once for the largest batch; gathering copies (and scales uint8 features to
/// floats), never allocates.
///
/// Not Sendable (it holds raw pointers to mutable memory), yet shared by the engine's workers:
/// in a step each worker gathers into, and reads from, only the rows of its own micro-shards
/// (disjoint row ranges), and the trainer touches the batch only between the engine's phases,
/// which publish the writes (WorkerPool's rules).
public final class MiniBatch {
    public let capacity: Int
    public let width: Int
    public let targetWidth: Int
    /// [capacity x width]
    public let features: FloatBuffer
    /// [capacity] class labels (labelled splits)
    public let labels: UnsafeMutablePointer<Int32>
    /// [capacity x targetWidth] float targets (regression splits)
    public let values: FloatBuffer

    public init(capacity: Int, width: Int, targetWidth: Int, isLabelled: Bool) {
        self.capacity = capacity
        self.width = width
        self.targetWidth = targetWidth
        features = FloatBuffer(count: capacity * width)
        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        values = FloatBuffer(count: isLabelled ? 0 : capacity * targetWidth)
    }

    public convenience init(capacity: Int, split: DataSplit) {
        self.init(capacity: capacity, width: split.width, targetWidth: split.targetWidth,
                  isLabelled: split.isLabelled)
    }

    deinit { labels.deallocate() }

    /// Copies the rows `indices` of `split` into the batch, in that order, from batch row
    /// `firstRow` on. Workers each gather the rows of their own micro-shards, in parallel.
    public func gather(from split: DataSplit, indices: ArraySlice<Int>, toRow firstRow: Int = 0) {
        indices.withUnsafeBufferPointer { gather(from: split, indices: $0, toRow: firstRow) }
    }

    public func gather(from split: DataSplit, indices: UnsafeBufferPointer<Int>, toRow firstRow: Int = 0) {
        precondition(firstRow + indices.count <= capacity, "batch rows \(firstRow)+\(indices.count) exceed \(capacity)")
        var row = firstRow
        switch split.featureStorage {
        case .float32(let source):
            for index in indices {
                (features.pointer + row * width).update(from: source.pointer + index * width, count: width)
                row += 1
            }
        case .uint8(let source):
            let table = UnsafePointer(split.scaleTable.pointer)
            for index in indices {
                let from = UnsafePointer(source.pointer + index * width)
                let to = features.pointer + row * width
                for column in 0..<width { to[column] = table[Int(from[column])] }
                row += 1
            }
        }
        row = firstRow
        switch split.targets {
        case .labels(let splitLabels):
            for index in indices {
                labels[row] = splitLabels.pointer[index]
                row += 1
            }
        case .values(let splitValues, let targetWidth):
            for index in indices {
                (values.pointer + row * targetWidth)
                    .update(from: splitValues.pointer + index * targetWidth, count: targetWidth)
                row += 1
            }
        }
    }
}
