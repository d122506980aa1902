// libFuzzer harness: the model-file and checkpoint readers on arbitrary bytes as an HDF5
// file. Any thrown error is fine; a trap, an abort or an ASan report is a finding.
import Foundation
import ShardCheckpoint

let modelPath = "/dev/shm/shardtrain-fuzz-model-\(getpid()).h5"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: modelPath, contents: Data(bytes: data, count: size)) else { return 0 }
    defer { unlink(modelPath) }
    _ = try? ModelFile.read(from: modelPath)
    _ = try? Checkpoint.read(from: modelPath)
    return 0
}
