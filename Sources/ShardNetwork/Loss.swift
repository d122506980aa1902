/// The training losses. Both are summed over the samples of a shard; the trainer divides the
/// summed gradient by the mini-batch size, so the optimizer sees the mean.
///
/// - `crossEntropy`: softmax over the output layer fused with the negative log-likelihood of
///   the true class, computed from logits with the max subtracted (never overflows); the
///   gradient with respect to the logits is softmax(z) - onehot(y).
/// - `meanSquaredError`: per sample L = 1/2 * sum_k (a_k - t_k)^2, averaged over the batch. The
///   1/2 makes dL/da = a - t, the convention of the worked example (w = 5, x = 2, y = 6 gives
///   a gradient of 8). Integer labels become one-hot targets.
public enum Loss: String, CaseIterable, Sendable {
    case crossEntropy = "cross_entropy"
    case meanSquaredError = "mse"
}

/// What the network should match for a block of rows: class labels, or float targets with one
/// value per output.
///
/// Not Sendable: it carries raw pointers, valid only during the call they are passed to.
public enum Targets {
    /// rows class indices in 0..<outputWidth
    case labels(UnsafePointer<Int32>)
    /// rows x outputWidth values, row-major
    case values(UnsafePointer<Float>)

    /// The targets of the rows after the first `rows` rows.
    public func advanced(byRows rows: Int, outputWidth: Int) -> Targets {
        switch self {
        case .labels(let labels): return .labels(labels + rows)
        case .values(let values): return .values(values + rows * outputWidth)
        }
    }
}
