// libFuzzer harness: the IDX (MNIST family) parser on arbitrary bytes, raw and through the
// gzip reader. Any DataError is fine; a trap, an abort or an ASan report is a finding.
import Foundation
import ShardData

let idxPath = "/dev/shm/shardtrain-fuzz-idx-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: idxPath, contents: Data(bytes: data, count: size)) else { return 0 }
    defer { unlink(idxPath) }
    _ = try? IDXFile.read(path: idxPath)
    return 0
}
