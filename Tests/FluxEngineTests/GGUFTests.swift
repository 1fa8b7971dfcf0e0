import Foundation
import Testing

@testable import FluxEngine

/// Returns the path of `file` in the fixture directory `Fixtures/<area>` next to this file.
func fixturePath(_ area: String, _ file: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(area).appendingPathComponent(file).path
}

/// Returns the index and both values of the first element whose bit pattern differs, nil when all match.
func firstBitDifference(_ found: [Float], _ expected: [Float]) -> (index: Int, found: Float, expected: Float)? {
    for index in found.indices where found[index].bitPattern != expected[index].bitPattern {
        return (index, found[index], expected[index])
    }
    return nil
}

@Suite struct GGUFTests {
    let types: GGUFFile
    let expected: SafeTensorsFile

    init() throws {
        types = try GGUFFile(path: fixturePath("gguf", "types.gguf"))
        expected = try SafeTensorsFile(path: fixturePath("gguf", "types_expected.safetensors"))
    }

    /// Compares every supported type with `gguf.quants.dequantize` of the same bytes. The decoders do the
    /// package's float32 operations in the same order, so the results must be bit-identical.
    @Test(arguments: [
        "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
    ])
    func dequantisationMatchesPythonPackage(type: String) throws {
        let names = types.tensorNames.filter { $0.hasPrefix(type.lowercased() + ".") }
        #expect(names.count >= 2, "expected a multi-row and a 1-D tensor of \(type)")
        for name in names {
            let reference = try expected.load(name)
            let tensor = try types.load(name)
            #expect(types.info(name)?.storedType == type)
            #expect(tensor.shape == reference.shape, "shape of \(name)")
            let difference = firstBitDifference(tensor.storage, reference.storage)
            #expect(difference == nil, "\(name): first differing element \(String(describing: difference))")
        }
    }

    /// Repeats a fixture tensor's blocks until the data spans several `parallelChunks` chunks, so
    /// the multi-threaded path must give the same bits as the small fixtures.
    @Test(arguments: ["Q8_0", "Q5_1", "Q3_K", "Q4_K", "Q6_K"])
    func largeTensorDecodesInParallelChunks(type: String) throws {
        let name = type.lowercased() + ".random"
        let entry = try #require(types.entries[name])
        let range = try #require(entry.range)
        let blockSize = try #require(entry.type.blockSize)
        let blockBytes = try #require(entry.type.blockBytes)
        let fileBytes = try Data(contentsOf: URL(fileURLWithPath: types.origin))
        let blocks = Array(fileBytes[range])
        let blocksPerChunk = max(1, Dequantize.elementsPerChunk / blockSize)
        let copies = 4 * blocksPerChunk / (blocks.count / blockBytes) + 1
        let source = [[UInt8]](repeating: blocks, count: copies).flatMap { $0 }
        let reference = try expected.load(name).storage
        var output = [Float](repeating: .nan, count: reference.count * copies)

        let converted = source.withUnsafeBytes { bytes in
            output.withUnsafeMutableBufferPointer { Dequantize.convert(type: entry.type, from: bytes, into: $0) }
        }

        #expect(converted)
        let expectedValues = [[Float]](repeating: reference, count: copies).flatMap { $0 }
        let difference = firstBitDifference(output, expectedValues)
        #expect(difference == nil, "\(name) x\(copies): first differing element \(String(describing: difference))")
    }

    @Test func shapesAreRowMajor() {
        #expect(types.info("q8_0.rows")?.shape == [3, 256])
        #expect(types.info("q8_0.vector")?.shape == [64])
        #expect(types.info("q4_k.random")?.shape == [3, 512])
        #expect(types.info("q6_k.vector")?.shape == [256])
    }

    @Test func originalShapeKeyIsHonoured() throws {
        let tensor = try types.load("reshaped")
        #expect(tensor.shape == [2, 3, 64])
        #expect(tensor.storage == (try expected.load("reshaped")).storage)
    }

    @Test func headerFieldsAndDefaultAlignment() {
        #expect(types.version == 3)
        #expect(types.alignment == 32)
        #expect(types.metadata["general.alignment"] == nil)
        #expect(types.metadata["general.architecture"] == .string("flux"))
        #expect(types.metadata["general.quantization_version"] == .uint32(2))
        #expect(types.tensorType("q5_k.random")?.id == 13)
    }

    @Test func metadataOfEveryValueType() {
        let metadata = types.metadata
        #expect(metadata["test.uint8"] == .uint8(200))
        #expect(metadata["test.int8"] == .int8(-100))
        #expect(metadata["test.uint16"] == .uint16(60000))
        #expect(metadata["test.int16"] == .int16(-30000))
        #expect(metadata["test.uint32"] == .uint32(4_000_000_000))
        #expect(metadata["test.int32"] == .int32(-2_000_000_000))
        #expect(metadata["test.float32"] == .float32(0.15625))
        #expect(metadata["test.bool"] == .bool(true))
        #expect(metadata["test.string"] == .string("Kontext ✓"))
        #expect(metadata["test.uint64"] == .uint64((1 << 63) + 5))
        #expect(metadata["test.int64"] == .int64(-(1 << 62)))
        #expect(metadata["test.float64"] == .float64(-2.5e-300))
    }

    @Test func metadataArrays() {
        let metadata = types.metadata
        #expect(metadata["test.array.int32"] == .array([.int32(1), .int32(-2), .int32(3)]))
        #expect(metadata["test.array.strings"] == .array([.string("a"), .string("bc"), .string("")]))
        #expect(metadata["test.array.nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        #expect(metadata["test.array.uint64"] == .array([.uint64(7), .uint64(1 << 40)]))
    }

    @Test func customAlignment() throws {
        let file = try GGUFFile(path: fixturePath("gguf", "aligned.gguf"))
        #expect(file.alignment == 64)
        #expect(file.metadata["general.alignment"] == .uint32(64))
        let first = try file.load("first")
        let second = try file.load("second")
        #expect(first.shape == [5])
        #expect(first.storage == [0, 1, 2, 3, 4])
        #expect(second.shape == [2, 3])
        #expect(second.storage == [-10, -9, -8, -7, -6, -5])
    }

    @Test func missingTensorNamesTheFile() throws {
        let error = #expect(throws: EngineError.self) { try types.load("absent") }
        #expect(
            error?.description
                == "tensor 'absent' is missing from '\(types.origin)'; check that the file holds the expected model"
        )
    }
}
