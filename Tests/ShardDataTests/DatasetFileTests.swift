import Foundation
import ShardHDF5
import ShardTestSupport
import Testing
@testable import ShardData

/// Writes a one-split dataset file with the given x and y writers.
func writeDataset(_ name: String, _ body: (HDF5Group) throws -> Void) throws -> String {
    let path = temporaryPath(name)
    let file = try HDF5File.create(path)
    try body(try file.root.createGroup("train"))
    return path
}

struct DatasetFileTests {
    @Test func h5pyFixtureLoadsWithLabelsAndClassNames() throws {
        let file = try DatasetFile(path: "\(fixtures)/h5py-dataset.h5")
        #expect(file.splitNames() == ["test", "train"])
        #expect(file.classNames(split: "train") == ["circle", "square", "triangle"])
        let split = try file.load(split: "test")
        #expect(split.rowCount == 11 && split.width == 7)
        #expect(split.features[3 * 7 + 2] == 2.0)  // 3 * 0.5 + 2 * 0.25
        #expect(split.labels == (0..<11).map { Int32($0 % 3) })
    }

    @Test func uint8FeaturesAreScaledByDefaultOrByTheAttribute() throws {
        let path = try writeDataset("uint8.h5") { group in
            try group.createDataset("x", shape: [2, 2], values: [UInt8(0), 51, 255, 102])
            try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        }
        #expect(try DatasetFile(path: path).load(split: "train").features.array == [0, 0.2, 1, 0.4])
        try HDF5File.open(path, mode: .readWrite).root.group("train").dataset("x").setAttribute("scale", 0.5)
        #expect(try DatasetFile(path: path).load(split: "train").features.array == [0, 25.5, 127.5, 51])
    }

    @Test func imagesWithTrailingDimensionsAreFlattened() throws {
        let path = try writeDataset("images.h5") { group in
            try group.createDataset("x", shape: [3, 2, 2], values: (0..<12).map { Float($0) })
            try group.createDataset("y", shape: [3], values: [UInt8(0), 1, 2])
        }
        let split = try DatasetFile(path: path).load(split: "train")
        #expect(split.width == 4 && split.rowCount == 3)
    }

    @Test func floatTargetsForRegression() throws {
        let path = try writeDataset("regression.h5") { group in
            try group.createDataset("x", shape: [2, 1], values: [Float(1), 2])
            try group.createDataset("y", shape: [2, 2], values: [0.5, 1, 1.5, 2] as [Double])
        }
        let split = try DatasetFile(path: path).load(split: "train")
        #expect(split.labels == nil && split.targetWidth == 2)
    }

    func expectDataError(_ path: String, split: String = "train", _ check: (DataError) -> Bool) {
        do {
            _ = try DatasetFile(path: path).load(split: split)
            Issue.record("expected a data error")
        } catch {
            #expect(check(error), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func missingSplitListsTheGroupsFound() throws {
        let path = try writeDataset("nosplit.h5") { _ in }
        expectDataError(path, split: "validation") {
            if case .missingSplit(_, "validation", ["train"]) = $0 { true } else { false }
        }
    }

    @Test func missingFeaturesOrLabels() throws {
        let noX = try writeDataset("nox.h5") { try $0.createDataset("y", shape: [1], values: [Int32(0)]) }
        expectDataError(noX) { if case .missingArray(_, "/train/x", _) = $0 { true } else { false } }
        let noY = try writeDataset("noy.h5") { try $0.createDataset("x", shape: [1, 1], values: [Float(0)]) }
        expectDataError(noY) { if case .missingArray(_, "/train/y", _) = $0 { true } else { false } }
    }

    @Test func nanInFeaturesNamesRowAndColumn() throws {
        let path = try writeDataset("nan.h5") { group in
            try group.createDataset("x", shape: [2, 3], values: [Float(0), 1, 2, 3, .nan, 5])
            try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        }
        expectDataError(path) { if case .nonFinite(_, "/train/x", 1, 1, _) = $0 { true } else { false } }
    }

    @Test func negativeLabelsAreRefused() throws {
        let path = try writeDataset("negative.h5") { group in
            try group.createDataset("x", shape: [2, 1], values: [Float(0), 1])
            try group.createDataset("y", shape: [2], values: [Int64(0), -3])
        }
        expectDataError(path) { if case .labelOutOfRange(_, _, 1, -3, _) = $0 { true } else { false } }
    }

    @Test func rowCountsMustMatch() throws {
        let path = try writeDataset("rows.h5") { group in
            try group.createDataset("x", shape: [3, 1], values: [Float(0), 1, 2])
            try group.createDataset("y", shape: [2], values: [Int32(0), 1])
        }
        expectDataError(path) { if case .rowCountMismatch(_, _, 3, _, 2) = $0 { true } else { false } }
    }

    @Test func unsupportedFeatureTypeAndRank() throws {
        let int32X = try writeDataset("int32x.h5") { group in
            try group.createDataset("x", shape: [1, 1], values: [Int32(4)])
            try group.createDataset("y", shape: [1], values: [Int32(0)])
        }
        expectDataError(int32X) { if case .unsupportedType(_, "/train/x", "int32", _) = $0 { true } else { false } }
        let vectorX = try writeDataset("vector.h5") { group in
            try group.createDataset("x", shape: [2], values: [Float(1), 2])
            try group.createDataset("y", shape: [2], values: [Int32(0), 0])
        }
        expectDataError(vectorX) { if case .wrongRank(_, "/train/x", _, [2]) = $0 { true } else { false } }
    }

    @Test func missingAndNonHDF5Files() throws {
        #expect(throws: DataError.self) { try DatasetFile(path: "/nonexistent/data.h5") }
        let text = temporaryPath("text.h5")
        try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
        do {
            _ = try DatasetFile(path: text)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("not a readable HDF5 file"))
        }
    }
}
