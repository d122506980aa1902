import Foundation
import ShardCheckpoint
import ShardConfig
import ShardTraining

/// Learning curves as a self-contained SVG: training, validation and test loss (left panel)
/// and validation and test accuracy (right panel) against epoch, one colour per run, one line
/// style per split. Opens in any browser.
struct CurvesPlot {
    var runs: [(name: String, history: [EpochRecord])]

    init(runs: [(name: String, history: [EpochRecord])]) {
        self.runs = runs
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let (width, height) = (960.0, 400.0)
    static let panelWidth = 400.0, panelHeight = 280.0, top = 40.0

    func svg() -> String {
        var body = ""
        let maxEpoch = max(1, runs.flatMap { $0.history.map(\.epoch) }.max() ?? 1)
        let losses = runs.flatMap { $0.history.flatMap { [$0.trainLoss, $0.validationLoss, $0.testLoss].compactMap { $0 } } }
            .filter(\.isFinite)
        let accuracies = runs.flatMap { $0.history.flatMap { [$0.validationAccuracy, $0.testAccuracy].compactMap { $0 } } }
        let lossRange = Self.niceRange(losses.min() ?? 0, losses.max() ?? 1, includeZero: true)
        let lossCurves: [(KeyPath<EpochRecord, Double?>, Style)] =
            [(\.trainLossIfMeasured, .solid), (\.validationLoss, .dotted), (\.testLoss, .dashed)]
        body += panel(x: 70, title: "loss (solid: train, dotted: validation, dashed: test)", range: lossRange, maxEpoch: maxEpoch) { index, run in
            lossCurves.map { path, style in
                polyline(run.history.compactMap { r in r[keyPath: path].map { (Double(r.epoch), $0) } }, x: 70,
                         range: lossRange, maxEpoch: maxEpoch, color: index, style: style)
            }.joined()
        }
        if !accuracies.isEmpty {
            let accuracyRange = Self.niceRange(accuracies.min()!, accuracies.max()!, includeZero: false)
            let accuracyCurves: [(KeyPath<EpochRecord, Double?>, Style)] = [(\.validationAccuracy, .dotted), (\.testAccuracy, .dashed)]
            body += panel(x: 540, title: "accuracy (dotted: validation, dashed: test)", range: accuracyRange, maxEpoch: maxEpoch) { index, run in
                accuracyCurves.map { path, style in
                    polyline(run.history.compactMap { r in r[keyPath: path].map { (Double(r.epoch), $0) } }, x: 540,
                             range: accuracyRange, maxEpoch: maxEpoch, color: index, style: style)
                }.joined()
            }
        }
        var legend = ""
        for (index, run) in runs.enumerated() {
            let y = Self.top + Self.panelHeight + 50 + Double(index % 2) * 16
            let x = 70 + Double(index / 2) * 300
            legend += "<line x1=\"\(x)\" y1=\"\(y - 4)\" x2=\"\(x + 24)\" y2=\"\(y - 4)\" stroke=\"\(Self.color(index))\" stroke-width=\"2\"/>"
            legend += "<text x=\"\(x + 30)\" y=\"\(y)\">\(Self.escape(run.name))</text>\n"
        }
        let height = Self.height + Double(max(0, (runs.count + 1) / 2 - 1)) * 0
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height + Double(runs.count / 2) * 16))" viewBox="0 0 \(Int(Self.width)) \(Int(height + Double(runs.count / 2) * 16))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            \(body)\(legend)</svg>

            """
    }

    private func panel(x: Double, title: String, range: (Double, Double), maxEpoch: Int,
                       curves: (Int, (name: String, history: [EpochRecord])) -> String) -> String {
        let (w, h, top) = (Self.panelWidth, Self.panelHeight, Self.top)
        var text = "<g>\n<text x=\"\(x)\" y=\"\(top - 12)\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        text += "<rect x=\"\(x)\" y=\"\(top)\" width=\"\(w)\" height=\"\(h)\" fill=\"none\" stroke=\"#888\"/>\n"
        for tick in 0...4 {
            let value = range.0 + (range.1 - range.0) * Double(tick) / 4
            let y = top + h - h * Double(tick) / 4
            text += "<line x1=\"\(x)\" y1=\"\(y)\" x2=\"\(x + w)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            text += "<text x=\"\(x - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(Self.format(value))</text>\n"
        }
        let step = max(1, maxEpoch / 8)
        for epoch in stride(from: step, through: maxEpoch, by: step) {
            let px = x + w * Double(epoch) / Double(maxEpoch)
            text += "<text x=\"\(px)\" y=\"\(top + h + 16)\" text-anchor=\"middle\">\(epoch)</text>"
        }
        text += "\n<text x=\"\(x + w / 2)\" y=\"\(top + h + 32)\" text-anchor=\"middle\">epoch</text>\n"
        for (index, run) in runs.enumerated() { text += curves(index, run) }
        return text + "</g>\n"
    }

    enum Style { case solid, dotted, dashed }

    private func polyline(_ points: [(Double, Double)], x: Double, range: (Double, Double), maxEpoch: Int,
                          color: Int, style: Style) -> String {
        let finite = points.filter { $0.1.isFinite }
        guard !finite.isEmpty else { return "" }
        let (w, h, top) = (Self.panelWidth, Self.panelHeight, Self.top)
        let coordinates = finite.map { point -> String in
            let px = x + w * point.0 / Double(maxEpoch)
            let clamped = min(max(point.1, range.0), range.1)
            let py = top + h - h * (clamped - range.0) / max(range.1 - range.0, 1e-12)
            return String(format: "%.1f,%.1f", px, py)
        }
        let dash = switch style {
        case .solid: ""
        case .dotted: " stroke-dasharray=\"2 3\""
        case .dashed: " stroke-dasharray=\"6 4\""
        }
        var text = "<polyline fill=\"none\" stroke=\"\(Self.color(color))\" stroke-width=\"2\"\(dash) points=\"\(coordinates.joined(separator: " "))\"/>\n"
        if finite.count == 1 {
            let c = coordinates[0].split(separator: ",")
            text += "<circle cx=\"\(c[0])\" cy=\"\(c[1])\" r=\"3\" fill=\"\(Self.color(color))\"/>\n"
        }
        return text
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// A range with some room around the data; losses start at 0.
    static func niceRange(_ low: Double, _ high: Double, includeZero: Bool) -> (Double, Double) {
        var low = includeZero ? min(0, low) : low, high = high
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.05
        return (includeZero ? low : low - pad, high + pad)
    }

    /// An axis label: three significant digits.
    static func format(_ value: Double) -> String {
        String(format: "%.3g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension EpochRecord {
    /// The train loss, in the optional form the other curves have.
    var trainLossIfMeasured: Double? { trainLoss }
}
