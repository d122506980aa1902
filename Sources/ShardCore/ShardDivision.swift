/// How whole micro-shards are divided among ranks (and among a rank's workers): part p of N
/// takes the contiguous block [p * M / N, (p + 1) * M / N) of M, so the blocks depend on M and
/// N only, and every part's share differs by at most one.
public enum ShardDivision {
    public static func block(_ part: Int, of count: Int, parts: Int) -> Range<Int> {
        (part * count / parts)..<((part + 1) * count / parts)
    }
}
