import ShardCheckpoint
import ShardCore

/// How a run ended and its figures: `train --json` prints it on one line, and the run
/// directory's summary.json holds it. One type, so the two never disagree.
public struct RunReport: Encodable, Sendable {
    public enum Status: String, Encodable, Sendable {
        case completed, diverged, interrupted, failed
    }

    public var status: Status
    public var exitCode: Int32 = 0
    public var message: String?
    public var experiment: String
    public var epochs: Int
    public var steps: Int
    /// The last epoch's figures, and the best epoch's by the validation metric
    /// (`ModelSelection`; absent without validation data: the test split never chooses).
    public var final: EpochRecord?
    public var best: EpochRecord?
    /// The epoch whose weights the model file holds, with validation data.
    public var bestEpoch: Int?
    /// True when early stopping ended the run.
    public var stoppedEarly: Bool
    /// The validation metric that chose `best` (`training.monitor`); absent without
    /// validation data.
    public var monitor: String?
    /// The test figures of the model file's weights (with validation data, the best epoch's,
    /// measured once); before the model is written, the last epoch's, when measured.
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    /// Wall time of the whole run, across resumes, evaluation included (`seconds` in --json
    /// from the first release, `wall_seconds` in summary.json: both are written).
    public var seconds: Double
    /// Training samples per second of training time (`TrainingState.samplesPerSecond`).
    public var samplesPerSecond: Double
    /// Threads per process; `ranks` processes (MPI), 1 without MPI.
    public var workers: Int
    public var ranks: Int
    /// On ranks: what this process (rank 0) sent per step and the seconds it spent in MPI per
    /// step (waiting for slower ranks included); nil in one process.
    public var communicationBytesPerStep: Double?
    public var communicationSecondsPerStep: Double?
    public var shardRows: Int
    public var batchSize: Int
    public var seed: UInt64
    public var parameters: Int
    public var modelFile: String?
    /// The OpenBLAS kernel family that ran the matrix products (results differ in the last
    /// bits between families, so reproducing a run bit for bit needs the same one).
    public var blasCore: String
    public var shardtrainVersion = ShardTrainVersion.string
    /// The commit of the git repository holding the experiment file, when there is one.
    public var gitCommit: String?
    /// `memory` or `stream` (`data.loading` resolved), the bytes the data takes in memory
    /// (both splits, or the readers' rings), and for a stream the times a step waited for
    /// the reader (0 in the steady state) and the seconds it waited.
    public var dataLoading: String
    public var dataMemoryBytes: Int
    public var streamWaits: Int?
    public var streamWaitSeconds: Double?
    /// For a streamed train split, the rows this process's reader read from the file (on MPI
    /// ranks, the rows of its own micro-shards only).
    public var streamRowsRead: Int?
    /// Seconds from loading the data to the end of this process's first step.
    public var firstStepSeconds: Double?

    /// The report of `trainer`'s run as it stands.
    public init(trainer: Trainer, status: Status, modelFile: String?) {
        let state = trainer.state
        self.status = status
        experiment = trainer.experiment.name
        epochs = state.history.count
        steps = state.step
        final = state.history.last
        best = trainer.selection.best(state.history)
        bestEpoch = best?.epoch
        stoppedEarly = trainer.selection.shouldStop(state.history)
        monitor = trainer.data.validation == nil ? nil : trainer.selection.monitor.rawValue
        testAccuracy = trainer.modelTest.map { $0.accuracy } ?? final?.testAccuracy
        testLoss = trainer.modelTest?.loss ?? final?.testLoss
        trainLoss = final?.trainLoss
        trainAccuracy = final?.trainAccuracy
        seconds = state.wallSeconds
        samplesPerSecond = state.samplesPerSecond
        workers = trainer.workerCount
        ranks = trainer.group?.rankCount ?? 1
        shardRows = trainer.experiment.shardRows
        batchSize = trainer.experiment.batchSize
        seed = trainer.experiment.seed
        parameters = trainer.network.parameterCount
        self.modelFile = modelFile
        blasCore = BLAS.coreName
        dataLoading = trainer.data.loading.rawValue
        dataMemoryBytes = trainer.dataMemoryBytes
        if let reader = trainer.trainFeed?.reader {
            let waits = reader.waits
            streamWaits = waits.count
            streamWaitSeconds = waits.seconds
            streamRowsRead = reader.rowsRead
        }
        firstStepSeconds = trainer.firstStepSeconds
    }

    enum CodingKeys: String, CodingKey {
        case status, message, experiment, epochs, steps, final, best, seconds, workers, seed, parameters
        case bestEpoch = "best_epoch", stoppedEarly = "stopped_early", monitor
        case exitCode = "exit_code", testAccuracy = "test_accuracy", testLoss = "test_loss"
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy", wallSeconds = "wall_seconds"
        case samplesPerSecond = "samples_per_second", shardRows = "shard_rows", batchSize = "batch_size"
        case modelFile = "model_file", blasCore = "blas_core", shardtrainVersion = "shardtrain_version"
        case gitCommit = "git_commit", dataLoading = "data_loading", dataMemoryBytes = "data_memory_bytes"
        case streamWaits = "stream_waits", streamWaitSeconds = "stream_wait_seconds", streamRowsRead = "stream_rows_read"
        case firstStepSeconds = "first_step_seconds", ranks
        case communicationBytesPerStep = "mpi_bytes_per_step", communicationSecondsPerStep = "mpi_seconds_per_step"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encode(experiment, forKey: .experiment)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(steps, forKey: .steps)
        try container.encodeIfPresent(final, forKey: .final)
        try container.encodeIfPresent(best, forKey: .best)
        try container.encodeIfPresent(bestEpoch, forKey: .bestEpoch)
        try container.encode(stoppedEarly, forKey: .stoppedEarly)
        try container.encodeIfPresent(monitor, forKey: .monitor)
        try container.encodeIfPresent(testAccuracy, forKey: .testAccuracy)
        try container.encodeIfPresent(testLoss, forKey: .testLoss)
        try container.encodeIfPresent(trainLoss, forKey: .trainLoss)
        try container.encodeIfPresent(trainAccuracy, forKey: .trainAccuracy)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(seconds, forKey: .wallSeconds)
        try container.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try container.encode(workers, forKey: .workers)
        try container.encode(ranks, forKey: .ranks)
        try container.encodeIfPresent(communicationBytesPerStep, forKey: .communicationBytesPerStep)
        try container.encodeIfPresent(communicationSecondsPerStep, forKey: .communicationSecondsPerStep)
        try container.encode(shardRows, forKey: .shardRows)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(seed, forKey: .seed)
        try container.encode(parameters, forKey: .parameters)
        try container.encodeIfPresent(modelFile, forKey: .modelFile)
        try container.encode(blasCore, forKey: .blasCore)
        try container.encode(shardtrainVersion, forKey: .shardtrainVersion)
        try container.encodeIfPresent(gitCommit, forKey: .gitCommit)
        try container.encode(dataLoading, forKey: .dataLoading)
        try container.encode(dataMemoryBytes, forKey: .dataMemoryBytes)
        try container.encodeIfPresent(streamWaits, forKey: .streamWaits)
        try container.encodeIfPresent(streamWaitSeconds, forKey: .streamWaitSeconds)
        try container.encodeIfPresent(streamRowsRead, forKey: .streamRowsRead)
        try container.encodeIfPresent(firstStepSeconds, forKey: .firstStepSeconds)
    }
}
