import Foundation
import ShardCheckpoint
import ShardConfig
import ShardTraining
import ShardCore
import ShardData
import ShardEngine

/// Measures training throughput: for each batch size and worker count, timed passes of a
/// fixed number of steps (SGD, constant rate) on the real data, interleaved across the
/// configurations so that the machine's noise spreads over all of them alike (dropout rates
/// too, so its cost per step is measured side by side). Evaluation, data loading and set-up
/// are outside the timings.
struct ThroughputBenchmark {
    struct Configuration: Hashable, Sendable {
        var batchSize: Int
        var workers: Int
        var dropout: Double
    }

    struct Result: Codable, Sendable {
        var batchSize: Int
        var workers: Int
        var shardRows: Int
        /// the dropout rate of every hidden layer
        var dropout: Double
        /// samples per second of each pass
        var passes: [Double]
        /// resident memory before the first and after the last timed pass, bytes
        var residentBefore: Int
        var residentAfter: Int

        enum CodingKeys: String, CodingKey {
            case batchSize = "batch_size", workers, shardRows = "shard_rows", dropout, passes
            case residentBefore = "resident_before", residentAfter = "resident_after"
        }
    }

    var experiment: Experiment
    var data: PreparedData
    var batchSizes: [Int]
    var workerCounts: [Int]
    /// Dropout rates to compare; empty keeps the experiment's own.
    var dropoutRates: [Double] = []
    var steps: Int
    var warmupSteps: Int
    var passes: Int
    /// Rows per micro-shard for every configuration; nil: each batch size's automatic choice.
    var shardRows: Int?

    init(experiment: Experiment, data: PreparedData, batchSizes: [Int], workerCounts: [Int],
                steps: Int, warmupSteps: Int, passes: Int, shardRows: Int?) {
        self.shardRows = shardRows
        self.experiment = experiment
        self.data = data
        self.batchSizes = batchSizes
        self.workerCounts = workerCounts
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.passes = passes
    }

    /// Per pass: the single-thread and the all-workers sgemm ceiling, GFLOP/s.
    struct Ceiling: Codable, Sendable {
        var oneThread: Double
        var allThreads: Double
        var threads: Int
        enum CodingKeys: String, CodingKey {
            case oneThread = "one_thread", allThreads = "all_threads", threads
        }
    }

    func run() throws -> (results: [Result], ceilings: [Ceiling], peakResident: Int) {
        var trainers: [(Configuration, Trainer)] = []
        for batchSize in batchSizes {
            for workers in workerCounts {
                for rate in dropoutRates.isEmpty ? [nil] : dropoutRates.map(Optional.some) {
                    var setup = try experiment.setting(Keys.batchSize, to: batchSize)
                        .setting(Keys.workers, to: workers).setting(Keys.shardRows, to: shardRows ?? 0)
                    if let rate { setup = try setup.setting(Keys.dropout, to: .one(rate)) }
                    trainers.append((Configuration(batchSize: batchSize, workers: workers,
                                                   dropout: setup.dropoutRates.first ?? 0),
                                     try Trainer(experiment: setup, data: data)))
                }
            }
        }
        var generator = RandomGenerator(seed: experiment.seed)
        var order = Array(0..<data.train.rowCount)
        generator.shuffle(&order)
        var cursor = 0
        func runSteps(_ trainer: Trainer, _ count: Int) {
            let batchSize = trainer.experiment.batchSize
            for _ in 0..<count {
                if cursor + batchSize > order.count { cursor = 0 }
                trainer.step(indices: order[cursor..<(cursor + batchSize)],
                             learningRate: trainer.experiment.learningRate)
                cursor += batchSize
            }
        }
        var results = trainers.map { configuration, trainer in
            Result(batchSize: configuration.batchSize, workers: trainer.workerCount,
                   shardRows: trainer.experiment.shardRows, dropout: configuration.dropout, passes: [],
                   residentBefore: 0, residentAfter: 0)
        }
        for (_, trainer) in trainers { runSteps(trainer, warmupSteps) }
        var ceilings: [Ceiling] = []
        let clock = ContinuousClock()
        let processors = ProcessInfo.processInfo.activeProcessorCount
        let mostWorkers = workerCounts.max() ?? 1
        let oneThread = MatrixProductCeiling(threads: 1, processorCount: processors)
        let allThreads = MatrixProductCeiling(threads: mostWorkers, processorCount: processors)
        for _ in 0..<passes {
            ceilings.append(Ceiling(oneThread: oneThread.gigaflops(), allThreads: allThreads.gigaflops(),
                                    threads: mostWorkers))
            if ceilings.count == 1 {
                // After the warm-up and the first ceiling measurement, everything a step needs
                // is allocated: from here on the resident size must stay flat.
                for index in results.indices { results[index].residentBefore = Self.residentBytes() }
            }
            for (index, (configuration, trainer)) in trainers.enumerated() {
                let start = clock.now
                runSteps(trainer, steps)
                let seconds = (clock.now - start).totalSeconds
                results[index].passes.append(Double(steps * configuration.batchSize) / seconds)
            }
        }
        for index in results.indices { results[index].residentAfter = Self.residentBytes() }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (results, ceilings, usage.ru_maxrss * 1024)
    }

    /// Resident set size now, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
