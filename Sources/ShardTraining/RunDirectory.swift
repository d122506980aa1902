import Foundation

/// The files of a run directory besides its checkpoints.
public enum RunDirectory {
    /// `experiment.toml`: the resolved experiment, every key, so the run can be repeated.
    public static func writeExperiment(_ experiment: Experiment, to directory: String) throws(TrainingError) {
        try AtomicFile.write(to: "\(directory)/experiment.toml") { temporary in
            try experiment.resolvedTOML.write(toFile: temporary, atomically: false, encoding: .utf8)
        }
    }
}
