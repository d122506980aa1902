/// How this process was started, read from its environment: by an MPI launcher (mpirun, or
/// srun with PMI), as one of several Slurm tasks, or alone. Pure functions of the environment,
/// so they are tested without launching anything.
public enum ClusterLaunch {
    /// Variables an MPI launcher sets in every rank it starts: Open MPI's mpirun, PMIx (srun
    /// --mpi=pmix, and Open MPI 4 itself), PMI-1/PMI-2 (srun --mpi=pmi2).
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// True when an MPI launcher started this process: only then does ShardTrain initialise
    /// MPI, so a plain `shardtrain train` never touches it.
    public static func isMPILaunch(_ environment: [String: String]) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// The tasks Slurm started for this job step (SLURM_NTASKS), 1 outside Slurm.
    public static func slurmTasks(_ environment: [String: String]) -> Int {
        environment["SLURM_NTASKS"].flatMap { Int($0) }.map { max($0, 1) } ?? 1
    }

    /// Processors this rank may use: those it is bound to when the launcher bound it to fewer
    /// than the machine has (mpirun binds each of up to 2 ranks to a core), else the machine's
    /// shared among the ranks on it (OMPI_COMM_WORLD_LOCAL_SIZE), at least 1.
    public static func processorsPerRank(_ environment: [String: String], active: Int, online: Int) -> Int {
        if active < online { return max(active, 1) }
        let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
        return max(active / max(local, 1), 1)
    }

    /// The one-line refusal for a Slurm job step of several tasks that no MPI launcher
    /// connected (each task a world of 1): they would each train a copy of the run.
    public static func unconnectedTasksMessage(tasks: Int) -> String {
        "Slurm started \(tasks) tasks (SLURM_NTASKS=\(tasks)) but MPI sees a world of 1: each task would train its own copy of the run. Launch the ranks with MPI (`srun --mpi=pmix shardtrain train ...`, or `mpirun shardtrain train ...` inside the allocation), or ask Slurm for one task (--ntasks=1)"
    }
}
