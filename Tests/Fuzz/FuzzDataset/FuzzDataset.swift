// libFuzzer harness: the dataset loader on arbitrary bytes as an HDF5 file. Any DataError is
// fine; a trap, an abort or an ASan report is a finding. Each input goes through every way
// training reads a split: whole into memory, a held-out subset of its rows (validation), and
// a stream that reads only one MPI rank's rows.
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
    if let layout = try? file.layout(split: "train") {
        readSubsets(of: layout, in: file, seed: size > 0 ? UInt64(data[size - 1]) : 0)
    }
    return 0
}

/// The subset reads of a split: held-out rows and the rest (`fileRows`), each loaded whole and
/// streamed as rank 0 of 2 reads it.
func readSubsets(of layout: SplitLayout, in file: DatasetFile, seed: UInt64) {
    let heldOut = HeldOutRows.rows(rowCount: layout.rowCount, fraction: 0.25, seed: seed)
    let kept = HeldOutRows.complement(of: heldOut, rowCount: layout.rowCount)
    let limit = layout.labelLimit ?? 10
    for subset in [layout.subset(rows: heldOut, name: "validation"), layout.subset(rows: kept, name: "train")] {
        _ = try? file.load(subset)
        guard subset.rowCount > 0 else { continue }
        let recipe = OrderRecipe(seed: seed, rowCount: subset.rowCount, blockRows: subset.blockRows,
                                 windowRows: 2 * subset.blockRows, shuffled: true)
        let rank = RankRows(rank: 0, rankCount: 2, batchRows: 8, shardRows: 2)
        guard let reader = try? StreamingReader(layout: subset, file: file, recipe: recipe, maxRows: 8,
                                                labelLimit: limit, endTicket: recipe.windowCount, rows: rank)
        else { continue }
        for ticket in 0..<min(recipe.windowCount, 4) {
            guard (try? reader.acquire(ticket: ticket)) != nil else { break }
            reader.release(below: ticket + 1)
        }
    }
}
