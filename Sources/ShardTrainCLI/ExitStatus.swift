/// Every exit code `shardtrain` uses, with its meaning: the help text and README's table come
/// from (or are checked against) this list.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case trainingFailed = 1
    case usage = 64
    case data = 65
    case ranksLost = 69
    case output = 74
    case interrupted = 130
    case terminated = 143

    var code: Int32 { rawValue }

    var meaning: String {
        switch self {
        case .success: "success"
        case .trainingFailed: "training failed: the loss became NaN or infinite (the message names the step)"
        case .usage: "usage or experiment error: bad arguments, missing experiment file, unknown key, wrong value type or value, batch size 0 or larger than the train split, a run directory already in use, nothing to resume, a key that cannot change on resume, several Slurm tasks that MPI does not connect"
        case .data: "data error: missing or non-HDF5 or corrupt data/model/checkpoint file, missing split, `x` or `y`, wrong shape or dtype, labels out of range, NaN or infinity in the data, feature width not matching the model"
        case .ranksLost: "under MPI: another rank died or hung (no answer within --rank-timeout, default 120 s) or an MPI call failed; the last checkpoint is intact"
        case .output: "an output file could not be written"
        case .interrupted: "stopped by SIGINT (Ctrl-C), checkpoint saved; a second SIGINT also exits 130, at once"
        case .terminated: "stopped by SIGTERM (e.g. a batch scheduler's preemption), checkpoint saved"
        }
    }

    /// The Markdown table of README.md's "Exit codes".
    static var markdownTable: String {
        "| code | meaning |\n|---|---|\n" + allCases.map { "| \($0.code) | \($0.meaning) |\n" }.joined()
    }

    /// One line per code, for `shardtrain --help`.
    static var helpText: String {
        "Exit codes: " + allCases.map { "\($0.code) \($0.meaning.split(separator: ":").first ?? "")" }
            .joined(separator: "; ") + "."
    }
}
