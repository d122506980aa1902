// swift-tools-version:6.0
// ShardTrain: data-parallel training of feedforward networks on a workstation's CPU cores.
import PackageDescription

let package = Package(
    name: "ShardTrain",
    products: [
        .executable(name: "shardtrain", targets: ["ShardTrainCLI"]),
        // Each layer can be used alone: the HDF5 wrapper, the network, the parallel engine,
        // datasets, checkpoints, experiments, and the trainer that ties them together.
        .library(name: "ShardHDF5", targets: ["ShardHDF5"]),
        .library(name: "ShardNetwork", targets: ["ShardNetwork"]),
        .library(name: "ShardEngine", targets: ["ShardEngine"]),
        .library(name: "ShardCluster", targets: ["ShardCluster"]),
        .library(name: "ShardData", targets: ["ShardData"]),
        .library(name: "ShardCheckpoint", targets: ["ShardCheckpoint"]),
        .library(name: "ShardConfig", targets: ["ShardConfig"]),
        .library(name: "ShardTraining", targets: ["ShardTraining"]),
        .library(name: "ShardExport", targets: ["ShardExport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C bridges: module maps and shim headers, nothing else.
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),

        // Numeric core: aligned buffers, BLAS, element-wise kernels, seedable RNG.
        // The CPU's spin-wait hint and floating-point mode, which Swift cannot spell.
        .target(name: "CThreadSupport"),
        .target(name: "ShardCore", dependencies: ["CBLAS", "CThreadSupport"]),
        // A crash inside a library's read of a damaged file, turned into a message and an exit code.
        .target(name: "CCrashGuard"),
        // HDF5: owning File / Group / Dataset / Attribute types with typed errors.
        .target(name: "ShardHDF5", dependencies: ["CHDF5", "CCrashGuard"]),
        // The network: parameter layout, dense layers, losses, optimizers, schedules.
        // Element-wise tanh and sigmoid in C, which the C compiler vectorises.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "ShardNetwork", dependencies: ["ShardCore", "CKernels"]),
        // The data-parallel engine: worker pool, micro-shards, fixed-order reduction. Knows
        // flat buffers and a ShardWork protocol, nothing of networks or files.
        .target(name: "ShardEngine", dependencies: ["ShardCore", "CThreadSupport"]),
        // MPI ranks: the engine's ProcessGroup over Open MPI, and how a launch is recognised.
        .target(name: "ShardCluster", dependencies: ["CMPI", "ShardCore", "ShardEngine"]),
        // Datasets: the HDF5 dataset format, IDX import, epoch order.
        .target(name: "ShardData", dependencies: ["ShardCore", "ShardHDF5", "CZlib"]),
        // Model files and checkpoints: their HDF5 layout, atomic writes, the checkpoint store,
        // the training position they carry.
        .target(name: "ShardCheckpoint", dependencies: ["ShardCore", "ShardHDF5", "ShardNetwork"]),
        // Experiments: the schema as one table of keys, a TOML reader, `--set`, validation.
        .target(name: "ShardConfig", dependencies: ["ShardCore", "ShardNetwork"]),
        // The training loop: trainer, observers, evaluation, the network seen by the engine.
        .target(
            name: "ShardTraining",
            dependencies: ["ShardCore", "ShardNetwork", "ShardData", "ShardEngine", "ShardCheckpoint", "ShardConfig"]),
        // Leaving ShardTrain: ONNX export and TensorBoard event files, over Swift code generated
        // from Protos/ (scripts/generate-protos.sh) and committed.
        .target(
            name: "ShardExport",
            dependencies: [
                "ShardCore", "ShardNetwork",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos"]),
        // The `shardtrain` command, with what belongs to a command line: run directories,
        // progress, plots, the throughput benchmark.
        .executableTarget(
            name: "ShardTrainCLI",
            dependencies: [
                "ShardCore", "ShardHDF5", "ShardData", "ShardEngine", "ShardCheckpoint",
                "ShardConfig", "ShardTraining", "ShardExport", "ShardCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers shared by the test targets: temporary paths, fixtures, synthetic datasets.
        .target(name: "ShardTestSupport", dependencies: ["ShardCore", "ShardHDF5"],
                path: "Tests/ShardTestSupport"),
        .testTarget(name: "ShardCoreTests", dependencies: ["ShardCore"]),
        .testTarget(name: "ShardHDF5Tests", dependencies: ["ShardHDF5", "CHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardEngineTests", dependencies: ["ShardEngine", "ShardCore"]),
        .testTarget(name: "ShardClusterTests", dependencies: ["ShardCluster"]),
        .testTarget(name: "ShardNetworkTests", dependencies: ["ShardNetwork", "CKernels", "ShardHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardDataTests", dependencies: ["ShardData", "ShardHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardExportTests", dependencies: ["ShardExport", "ShardNetwork", "ShardCore"]),
        .testTarget(name: "ShardTrainingTests", dependencies: [
            "ShardTraining", "ShardCheckpoint", "ShardConfig", "ShardCore", "ShardData", "ShardHDF5", "ShardNetwork",
            "ShardTestSupport"]),
        .testTarget(name: "ShardTrainCLITests", dependencies: [
            "ShardTrainCLI", "ShardCore", "ShardHDF5", "ShardCheckpoint", "ShardConfig", "ShardTraining",
            "ShardTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer harnesses (Tests/Fuzz), built only by scripts/fuzz.sh, which sets
// SHARDTRAIN_FUZZ=1 and builds with `--sanitize fuzzer --sanitize address`: libFuzzer supplies
// their `main`, so an ordinary build leaves them out.
if Context.environment["SHARDTRAIN_FUZZ"] != nil {
    for (name, dependency) in [("FuzzExperiment", "ShardConfig"), ("FuzzDataset", "ShardData"),
                               ("FuzzModelFile", "ShardCheckpoint"), ("FuzzIDX", "ShardData")] {
        package.targets.append(.executableTarget(
            name: name, dependencies: [.target(name: dependency)], path: "Tests/Fuzz/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
