// swift-tools-version:6.0
// ShardTrain: data-parallel training of feedforward networks on a workstation's CPU cores.
import PackageDescription

let package = Package(
    name: "ShardTrain",
    products: [
        .executable(name: "shardtrain", targets: ["ShardTrainCLI"]),
        .library(name: "ShardTraining", targets: ["ShardTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
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

        // Numeric core: aligned buffers, BLAS, element-wise kernels, seedable RNG.
        // The CPU's spin-wait hint and floating-point mode, which Swift cannot spell.
        .target(name: "CThreadSupport"),
        .target(name: "ShardCore", dependencies: ["CBLAS", "CThreadSupport"]),
        // HDF5: owning File / Group / Dataset / Attribute types with typed errors.
        .target(name: "ShardHDF5", dependencies: ["CHDF5"]),
        // The network: parameter layout, dense layers, losses, optimizers, schedules.
        // Element-wise tanh and sigmoid in C, which the C compiler vectorises.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "ShardNetwork", dependencies: ["ShardCore", "CKernels"]),
        // The data-parallel engine: worker pool, micro-shards, fixed-order reduction. Knows
        // flat buffers and a ShardWork protocol, nothing of networks or files.
        .target(name: "ShardEngine", dependencies: ["ShardCore", "CThreadSupport"]),
        // Datasets: the HDF5 dataset format, IDX import, epoch order.
        .target(name: "ShardData", dependencies: ["ShardCore", "ShardHDF5", "CZlib"]),
        // Training: experiments, the trainer loop, model files.
        .target(
            name: "ShardTraining",
            dependencies: [
                "ShardCore", "ShardHDF5", "ShardNetwork", "ShardData", "ShardEngine",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        // The `shardtrain` command.
        .executableTarget(
            name: "ShardTrainCLI",
            dependencies: [
                "ShardTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers shared by the test targets: temporary paths, fixtures, synthetic datasets.
        .target(name: "ShardTestSupport", dependencies: ["ShardCore", "ShardHDF5"],
                path: "Tests/ShardTestSupport"),
        .testTarget(name: "ShardCoreTests", dependencies: ["ShardCore"]),
        .testTarget(name: "ShardHDF5Tests", dependencies: ["ShardHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardEngineTests", dependencies: ["ShardEngine", "ShardCore"]),
        .testTarget(name: "ShardNetworkTests", dependencies: ["ShardNetwork", "CKernels", "ShardHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardDataTests", dependencies: ["ShardData", "ShardHDF5", "ShardTestSupport"]),
        .testTarget(name: "ShardTrainingTests", dependencies: ["ShardTraining", "ShardTestSupport"]),
        .testTarget(name: "ShardTrainCLITests", dependencies: ["ShardTrainCLI", "ShardCore", "ShardHDF5", "ShardTraining", "ShardTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
