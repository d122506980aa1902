import ShardCore

/// Preallocated storage for one mini-batch, gathered row by row from a split in the epoch's
/// order. Sized once for the largest batch; gathering copies, never allocates.
public final class MiniBatch: @unchecked Sendable {
    public let capacity: Int
    public let width: Int
    public let targetWidth: Int
    /// [capacity x width]
    public let features: FloatBuffer
    /// [capacity] class labels (labelled splits)
    public let labels: UnsafeMutablePointer<Int32>
    /// [capacity x targetWidth] float targets (regression splits)
    public let values: FloatBuffer
    public private(set) var rowCount = 0

    public init(capacity: Int, split: DataSplit) {
        self.capacity = capacity
        width = split.width
        targetWidth = split.targetWidth
        features = FloatBuffer(count: capacity * split.width)
        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        values = FloatBuffer(count: split.labels == nil ? capacity * split.targetWidth : 0)
    }

    deinit { labels.deallocate() }

    /// Copies the rows `indices` of `split` into the batch, in that order.
    public func gather(from split: DataSplit, indices: ArraySlice<Int>) {
        precondition(indices.count <= capacity, "batch of \(indices.count) rows exceeds \(capacity)")
        let source = split.features.pointer
        for (row, index) in indices.enumerated() {
            (features.pointer + row * width).update(from: source + index * width, count: width)
        }
        switch split.targets {
        case .labels(let splitLabels):
            splitLabels.withUnsafeBufferPointer { all in
                for (row, index) in indices.enumerated() { labels[row] = all[index] }
            }
        case .values(let splitValues, let targetWidth):
            for (row, index) in indices.enumerated() {
                (values.pointer + row * targetWidth)
                    .update(from: splitValues.pointer + index * targetWidth, count: targetWidth)
            }
        }
        rowCount = indices.count
    }
}
