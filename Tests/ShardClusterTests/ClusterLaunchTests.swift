import Testing
@testable import ShardCluster

/// How a launch is recognised from the environment alone.
struct ClusterLaunchTests {
    @Test func mpiLaunchesAreRecognisedByTheirLauncherVariables() {
        #expect(!ClusterLaunch.isMPILaunch([:]))
        #expect(!ClusterLaunch.isMPILaunch(["SLURM_NTASKS": "4", "SLURM_PROCID": "2"]))
        #expect(ClusterLaunch.isMPILaunch(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(ClusterLaunch.isMPILaunch(["PMIX_RANK": "0"]))
        #expect(ClusterLaunch.isMPILaunch(["PMI_RANK": "1", "PMI_SIZE": "3"]))
    }

    @Test func slurmTasksDefaultToOne() {
        #expect(ClusterLaunch.slurmTasks([:]) == 1)
        #expect(ClusterLaunch.slurmTasks(["SLURM_NTASKS": "3"]) == 3)
        #expect(ClusterLaunch.slurmTasks(["SLURM_NTASKS": "junk"]) == 1)
    }

    @Test func ranksShareTheProcessorsOfTheirMachine() {
        // Bound by the launcher: the cores of the binding.
        #expect(ClusterLaunch.processorsPerRank(["OMPI_COMM_WORLD_LOCAL_SIZE": "2"], active: 1, online: 2) == 1)
        // Unbound (oversubscribed): the machine's cores shared, at least one each.
        #expect(ClusterLaunch.processorsPerRank(["OMPI_COMM_WORLD_LOCAL_SIZE": "2"], active: 8, online: 8) == 4)
        #expect(ClusterLaunch.processorsPerRank(["OMPI_COMM_WORLD_LOCAL_SIZE": "3"], active: 2, online: 2) == 1)
        #expect(ClusterLaunch.processorsPerRank([:], active: 2, online: 2) == 2)
    }
}
