/// Inverted dropout on the outputs of the hidden layers, in training only: each unit of each
/// row is kept with probability 1 - rate and then scaled by 1 / (1 - rate), so evaluation needs
/// no dropout and no rescaling.
///
/// Which units are dropped is a pure function of (seed, layer, step, row, unit): a counter-based
/// generator, not a stream. So a row's mask is the same whichever worker computes it, in
/// whatever micro-shard, and after a resume; workers share no generator state. `row` must be
/// the row's index in the training rows (never its position in a shard or batch), and `step`
/// the number of updates before this one.
///
/// The hash is SplitMix64 at every level (Steele, Lea and Flood 2014; it passes BigCrush): the
/// layer's key is the seed's stream at the layer, the step's key that key's stream at the step,
/// the row's key the step key's stream at the row, and the units of the row are the row key's
/// stream, one 64-bit value per two units (its low and high 32 bits). A unit is dropped when
/// its 32 bits fall below rate * 2^32.
public struct Dropout: Sendable, Equatable {
    /// [hidden layers]: the probability that a unit of hidden layer l is dropped, in [0, 1).
    public let rates: [Float]
    public let seed: UInt64
    /// [hidden layers]: SplitMix64 of the seed at each layer.
    let layerKeys: [UInt64]
    /// [hidden layers]: rate * 2^32, the drop threshold on a unit's 32 random bits.
    let thresholds: [UInt64]
    /// [hidden layers]: 1 / (1 - rate), the scale of a kept unit.
    let keptScales: [Float]

    /// Keeps masks apart from every other use of the seed (initialisation, shuffles), which
    /// expand it with the same SplitMix64.
    static let domain: UInt64 = 0x6472_6F70_6F75_7421  // "dropout!"

    public init(rates: [Float], seed: UInt64) {
        precondition(rates.allSatisfy { $0 >= 0 && $0 < 1 }, "dropout rates must be in [0, 1)")
        self.rates = rates
        self.seed = seed
        layerKeys = rates.indices.map { Self.stream(seed ^ Self.domain, at: UInt64($0)) }
        thresholds = rates.map { UInt64((Double($0) * 4_294_967_296).rounded(.down)) }
        keptScales = rates.map { 1 / (1 - $0) }
    }

    /// True when some hidden layer drops units; with every rate 0, training takes exactly the
    /// path it takes without dropout.
    public var isActive: Bool { rates.contains { $0 > 0 } }

    /// SplitMix64's output at position `index` of the stream seeded with `key`.
    @inline(__always)
    static func stream(_ key: UInt64, at index: UInt64) -> UInt64 {
        var z = key &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes the scales of hidden layer `layer` for `rows` rows of `width` units into `scales`
    /// [rows x width]: 0 for a dropped unit, 1 / (1 - rate) for a kept one. `rowIndices` [rows]
    /// are the rows' indices in the training rows.
    public func writeScales(layer: Int, step: Int, rowIndices: UnsafePointer<Int>, rows: Int,
                            width: Int, into scales: UnsafeMutablePointer<Float>) {
        let stepKey = Self.stream(layerKeys[layer], at: UInt64(step))
        let threshold = thresholds[layer], kept = keptScales[layer]
        for row in 0..<rows {
            let rowKey = Self.stream(stepKey, at: UInt64(rowIndices[row]))
            let line = scales + row * width
            var unit = 0
            while unit < width {
                let bits = Self.stream(rowKey, at: UInt64(unit >> 1))
                line[unit] = bits & 0xFFFF_FFFF < threshold ? 0 : kept
                if unit + 1 < width { line[unit + 1] = bits >> 32 < threshold ? 0 : kept }
                unit += 2
            }
        }
    }
}

/// Which rows one gradient call trains, for the dropout masks: the step and each row's index
/// in the training rows.
public struct DropoutDraw {
    public let dropout: Dropout
    /// Updates applied before this one.
    public let step: Int
    /// [rows] the rows' indices in the training rows.
    public let rowIndices: UnsafePointer<Int>

    public init(dropout: Dropout, step: Int, rowIndices: UnsafePointer<Int>) {
        self.dropout = dropout
        self.step = step
        self.rowIndices = rowIndices
    }
}
