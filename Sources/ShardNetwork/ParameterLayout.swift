/// Where each named parameter lives in the flat parameter vector. Gradients and every optimizer
/// slot use the same layout, so the optimizer and the aggregator run one loop over one array
/// and never see the network's structure; checkpoints write the named slices.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Dotted name, e.g. `dense0.weight`.
        public let name: String
        /// Layer name, e.g. `dense0`; the model file stores the entry at `/model/<layer>/<kind>`.
        public let layer: String
        /// `weight` or `bias`.
        public let kind: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
        /// Weight decay applies to weights only, never to biases.
        public var isWeight: Bool { kind == "weight" }
    }

    public let entries: [Entry]
    public let count: Int

    /// The layout of dense layers between consecutive `layerSizes`: for layer i, a weight
    /// [sizes[i] x sizes[i+1]] then a bias [sizes[i+1]].
    public init(layerSizes: [Int]) {
        var entries: [Entry] = []
        var offset = 0
        for layer in 0..<(layerSizes.count - 1) {
            let name = "dense\(layer)"
            let weight = Entry(name: "\(name).weight", layer: name, kind: "weight",
                               shape: [layerSizes[layer], layerSizes[layer + 1]], offset: offset)
            offset += weight.count
            let bias = Entry(name: "\(name).bias", layer: name, kind: "bias",
                             shape: [layerSizes[layer + 1]], offset: offset)
            offset += bias.count
            entries += [weight, bias]
        }
        self.entries = entries
        count = offset
    }

    /// How many parameters the layout of `layerSizes` holds, or nil when the count overflows:
    /// for checking a size read from a file or an experiment before allocating it.
    public static func parameterCount(layerSizes: [Int]) -> Int? {
        var count = 0
        for (inputs, outputs) in zip(layerSizes, layerSizes.dropFirst()) {
            let (weights, overflow) = inputs.multipliedReportingOverflow(by: outputs)
            guard !overflow else { return nil }
            let (withBias, overflowBias) = weights.addingReportingOverflow(outputs)
            let (sum, overflowSum) = count.addingReportingOverflow(withBias)
            guard !overflowBias, !overflowSum else { return nil }
            count = sum
        }
        return count
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
