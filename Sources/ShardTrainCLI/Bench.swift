import ArgumentParser
import Foundation
import ShardCore
import ShardCheckpoint
import ShardConfig
import ShardTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput across batch sizes and worker counts.",
        discussion: """
            Trains the experiment's network with SGD at a constant rate for timed passes of \
            --steps steps, interleaved across configurations, and reports the median samples/s \
            (min-max), the speed-up over the fewest workers, GFLOP/s (6 x parameters per \
            sample) against a single-thread sgemm measured in the same run, and resident memory \
            before and after the passes. benchmarks/run.sh runs it beside PyTorch.
            """)

    @Argument(help: "The experiment whose network and data are used.")
    var experiment = "experiments/fashion-mnist-mlp.toml"

    @Option(help: "Comma-separated batch sizes.")
    var batchSizes = "32,128,512"

    @Option(help: "Comma-separated worker counts (default: 1 up to the active processor count).")
    var workers: String?

    @Option(help: "Comma-separated dropout rates to compare side by side (e.g. 0,0.3; default: the experiment's).")
    var dropout: String?

    @Option(help: "Steps per timed pass.")
    var steps = 200

    @Option(help: "Untimed steps per configuration before the first pass.")
    var warmup = 30

    @Option(help: "Timed passes (the median is reported).")
    var passes = 5

    @Option(name: .customLong("set"), help: ArgumentHelp("Override an experiment key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(help: "Print the raw results as one JSON object.")
    var json = false

    func validate() throws {
        guard steps > 0, passes > 0, warmup >= 0 else {
            throw ValidationError("--steps and --passes must be positive, --warmup not negative")
        }
        guard parse(batchSizes) != nil, workers.map({ parse($0) != nil }) ?? true else {
            throw ValidationError("--batch-sizes and --workers take comma-separated positive integers, e.g. 32,128,512")
        }
        guard dropout.map({ parseRates($0) != nil }) ?? true else {
            throw ValidationError("--dropout takes comma-separated rates in [0, 1), e.g. 0,0.3")
        }
    }

    private func parse(_ list: String) -> [Int]? {
        let values = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.compactMap { $0 }
    }

    private func parseRates(_ list: String) -> [Double]? {
        let values = list.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0.map { $0 >= 0 && $0 < 1 } ?? false }) else { return nil }
        return values.compactMap { $0 }
    }

    struct Report: Encodable {
        let results: [ThroughputBenchmark.Result]
        let ceilings: [ThroughputBenchmark.Ceiling]
        let parameters: Int
        let peakResident: Int
        let blasCore: String
        let processors: Int
        enum CodingKeys: String, CodingKey {
            case results, parameters, processors
            case ceilings = "sgemm_gflops", peakResident = "peak_resident", blasCore = "blas_core"
        }
    }

    func run() throws {
        let loaded = try ExperimentLoader.load(
            path: experiment,
            overrides: ["optimizer.name=sgd", "optimizer.learning_rate=0.01", "optimizer.momentum=0",
                        "schedule.name=constant"] + overrides + ["data.loading=\"memory\""])
        let data = try PreparedData.load(loaded)
        let processors = ProcessInfo.processInfo.activeProcessorCount
        let workerCounts = workers.flatMap(parse) ?? Array(1...processors)
        var benchmark = ThroughputBenchmark(
            experiment: loaded, data: data, batchSizes: parse(batchSizes) ?? [], workerCounts: workerCounts,
            steps: steps, warmupSteps: warmup, passes: passes,
            shardRows: overrides.contains { $0.hasPrefix("training.shard_rows") } ? loaded.shardRows : nil)
        benchmark.dropoutRates = dropout.flatMap(parseRates) ?? []
        let (results, ceilings, peak) = try benchmark.run()
        let parameters = data.network(for: loaded).parameterCount
        if json {
            print(try Report(results: results, ceilings: ceilings, parameters: parameters, peakResident: peak,
                             blasCore: BLAS.coreName, processors: processors).jsonLine())
            return
        }
        let oneThread = median(ceilings.map(\.oneThread))
        let allThreads = median(ceilings.map(\.allThreads))
        let most = results.map(\.workers).max() ?? 1
        print("sgemm ceiling: \(format(oneThread, 1)) GFLOP/s on 1 thread, \(format(allThreads, 1)) on \(most) at once (medians of \(ceilings.count)); BLAS core \(BLAS.coreName); \(parameters) parameters; \(processors) processors")
        let showDropout = !benchmark.dropoutRates.isEmpty
        print((showDropout ? "dropout  " : "") + "batch  workers  samples/s (min-max)          speed-up  GFLOP/s  of sgemm ceiling   RSS before -> after")
        for result in results {
            // The speed-up is over the fewest workers this batch size (and dropout rate) ran
            // with (more workers than rows are clamped to one per row).
            let base = results.first { $0.batchSize == result.batchSize && $0.dropout == result.dropout } ?? result
            let rate = median(result.passes)
            let gflops = rate * 6 * Double(parameters) / 1e9
            print((showDropout ? String(format: "%7.2f  ", result.dropout) : "") + [
                pad(result.batchSize, 5), pad(result.workers, 8),
                "  \(pad(Int(rate), 7)) (\(Int(result.passes.min() ?? 0))-\(Int(result.passes.max() ?? 0)))".padding(toLength: 30, withPad: " ", startingAt: 0),
                "\(format(rate / median(base.passes), 2))x".padding(toLength: 9, withPad: " ", startingAt: 0),
                format(gflops, 1).padding(toLength: 8, withPad: " ", startingAt: 0),
                "\(Int((100 * gflops / (result.workers == 1 ? oneThread : result.workers == most ? allThreads : oneThread * Double(result.workers))).rounded()))%".padding(toLength: 19, withPad: " ", startingAt: 0),
                "\(result.residentBefore >> 20) -> \(result.residentAfter >> 20) MiB",
            ].joined(separator: " "))
        }
        print("peak resident memory: \(peak >> 20) MiB")
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
        : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}
