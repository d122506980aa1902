extension Duration {
    /// The duration in seconds, as a Double.
    public var totalSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
