// libFuzzer harness: the dataset loader on arbitrary bytes as an HDF5 file. Any DataError is
// fine; a trap, an abort or an ASan report is a finding.
import Foundation
import ShardData

let datasetPath = "/dev/shm/shardtrain-fuzz-dataset-\(getpid()).h5"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: datasetPath, contents: Data(bytes: data, count: size)) else { return 0 }
    defer { unlink(datasetPath) }
    guard let file = try? DatasetFile(path: datasetPath) else { return 0 }
    for split in ["train", "test"] {
        if let loaded = try? file.load(split: split) {
            _ = try? loaded.checkFits(inputWidth: loaded.width, outputWidth: 10, file: datasetPath,
                                      features: "x", targets: "y", what: "fuzz")
        }
    }
    _ = file.classNames(split: "train")
    return 0
}
