import Foundation
import Testing

@testable import FluxEngine

/// Little-endian GGUF bytes assembled field by field, for files a correct writer would not produce.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func integer<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ text: String) {
        integer(UInt64(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    mutating func header(version: UInt32 = 3, tensors: UInt64, metadata: UInt64) {
        bytes.append(contentsOf: Array("GGUF".utf8))
        integer(version)
        integer(tensors)
        integer(metadata)
    }

    /// Appends a tensor info with GGUF dims (fastest-varying first).
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        integer(UInt32(dims.count))
        for dim in dims { integer(dim) }
        integer(type)
        integer(offset)
    }

    mutating func padAndAppendData(_ count: Int, alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        bytes.append(contentsOf: [UInt8](repeating: 0, count: count))
    }
}

/// A scratch directory removed when the value is dropped.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("fluxengine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

@Suite struct GGUFMalformedTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    /// Writes `bytes`, opens them as GGUF and returns the error description.
    func openingError(_ bytes: [UInt8]) throws -> (path: String, message: String?) {
        let path = try scratch.write(bytes, name: "model.gguf")
        let error = #expect(throws: EngineError.self) { _ = try GGUFFile(path: path) }
        return (path, error?.description)
    }

    @Test func truncatedBeforeTheCounts() throws {
        let valid = try Data(contentsOf: URL(fileURLWithPath: fixturePath("gguf", "aligned.gguf")))
        let (path, message) = try openingError(Array(valid.prefix(20)))
        #expect(
            message
                == "'\(path)' is not a valid weights file: the tensor count is 2, but only 4 bytes remain in the file"
        )
    }

    /// aligned.gguf contains general.architecture, then general.alignment whose uint32 value is at
    /// bytes 97..<101, so 99 bytes end inside that value.
    @Test func truncatedInsideMetadata() throws {
        let valid = try Data(contentsOf: URL(fileURLWithPath: fixturePath("gguf", "aligned.gguf")))
        let (path, message) = try openingError(Array(valid.prefix(99)))
        #expect(
            message
                == "'\(path)' is not a valid weights file: the file ends at byte 99 inside the value of metadata key 'general.alignment'"
        )
    }

    @Test func truncatedInsideMagic() throws {
        let (path, message) = try openingError(Array("GGU".utf8))
        #expect(message == "'\(path)' is not a valid weights file: it does not start with the GGUF magic bytes")
    }

    @Test func unsupportedVersion() throws {
        var file = GGUFBytes()
        file.header(version: 1, tensors: 0, metadata: 0)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message == "'\(path)' is not a valid weights file: GGUF version 1 is not supported, expected version 2 or 3"
        )
    }

    @Test func versionTwoIsRead() throws {
        var file = GGUFBytes()
        file.header(version: 2, tensors: 1, metadata: 0)
        file.tensor("w", dims: [2], type: 0, offset: 0)
        file.padAndAppendData(0)
        file.integer(Float(1.5).bitPattern)
        file.integer(Float(-3).bitPattern)
        let gguf = try GGUFFile(path: try scratch.write(file.bytes, name: "v2.gguf"))
        #expect(gguf.version == 2)
        #expect(try gguf.load("w").storage == [1.5, -3])
    }

    @Test func dataOffsetPastTheEnd() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("w", dims: [4, 2], type: 0, offset: 32)
        file.padAndAppendData(32)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: tensor 'w' needs 32 bytes at data offset 32, past the end of the file (128 bytes, data section from byte 96)"
        )
    }

    @Test func absurdKeyLength() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.integer(UInt64.max)
        file.bytes.append(contentsOf: Array("general.".utf8))
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: metadata key 0 has a length of 18446744073709551615 bytes, but only 8 bytes remain in the file"
        )
    }

    @Test func absurdStringValueLength() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.string("general.name")
        file.integer(UInt32(8))
        file.integer(UInt64(1) << 40)
        file.bytes.append(contentsOf: Array("flux".utf8))
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: the value of metadata key 'general.name' has a length of 1099511627776 bytes, but only 4 bytes remain in the file"
        )
    }

    @Test func absurdArrayLength() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.string("tokenizer.scores")
        file.integer(UInt32(9))
        file.integer(UInt32(6))
        file.integer(UInt64(1) << 60)
        file.integer(UInt32(0))
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: the array length of metadata key 'tokenizer.scores' is 1152921504606846976, but only 4 bytes remain in the file"
        )
    }

    @Test func absurdTensorCount() throws {
        var file = GGUFBytes()
        file.header(tensors: 1 << 50, metadata: 0)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: the tensor count is 1125899906842624, but only 8 bytes remain in the file"
        )
    }

    @Test func arraysNestedTooDeep() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.string("deep")
        file.integer(UInt32(9))
        for _ in 0..<9 {
            file.integer(UInt32(9))
            file.integer(UInt64(1))
        }
        file.integer(UInt32(0))
        file.integer(UInt64(1))
        file.bytes.append(7)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message == "'\(path)' is not a valid weights file: metadata key 'deep' nests arrays deeper than 8 levels"
        )
    }

    @Test func unknownValueType() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.string("odd")
        file.integer(UInt32(13))
        let (path, message) = try openingError(file.bytes)
        #expect(message == "'\(path)' is not a valid weights file: metadata key 'odd' has unknown value type 13")
    }

    @Test func invalidAlignment() throws {
        var file = GGUFBytes()
        file.header(tensors: 0, metadata: 1)
        file.string("general.alignment")
        file.integer(UInt32(4))
        file.integer(UInt32(24))
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: general.alignment is uint32(24), expected a positive power of two such as 32"
        )
    }

    @Test func misalignedOffset() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("w", dims: [1], type: 0, offset: 4)
        file.padAndAppendData(64)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: tensor 'w' has data offset 4, not a multiple of the alignment 32"
        )
    }

    @Test func rowNotAWholeNumberOfBlocks() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("w", dims: [48, 2], type: 8, offset: 0)
        file.padAndAppendData(136)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: tensor 'w' has rows of 48 elements, not a multiple of the 32-element blocks of Q8_0"
        )
    }

    @Test func byteCountOverflow() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("w", dims: [0, 1 << 62, 1 << 62], type: 0, offset: 0)
        file.padAndAppendData(0)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: tensor 'w' has dims [0, 4611686018427387904, 4611686018427387904], whose byte count overflows"
        )
    }

    @Test func tooManyDimensions() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("w", dims: [1, 1, 1, 1, 1], type: 0, offset: 0)
        file.padAndAppendData(4)
        let (path, message) = try openingError(file.bytes)
        #expect(message == "'\(path)' is not a valid weights file: tensor 'w' has 5 dimensions, at most 4 are allowed")
    }

    @Test func originalShapeOfWrongSize() throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 1)
        file.string("comfy.gguf.orig_shape.w")
        file.integer(UInt32(9))
        file.integer(UInt32(5))
        file.integer(UInt64(2))
        file.integer(Int32(3))
        file.integer(Int32(3))
        file.tensor("w", dims: [4, 2], type: 0, offset: 0)
        file.padAndAppendData(32)
        let (path, message) = try openingError(file.bytes)
        #expect(
            message
                == "'\(path)' is not a valid weights file: metadata key 'comfy.gguf.orig_shape.w' gives shape [3, 3] for a tensor of shape [2, 4]"
        )
    }

    /// IQ2_XXS (id 16) has a known block size, so the file opens, but loading names tensor and type.
    @Test(arguments: [(UInt32(16), "IQ2_XXS", 66), (UInt32(99), "type 99", 0)])
    func unsupportedTypeFailsOnLoad(id: UInt32, name: String, dataBytes: Int) throws {
        var file = GGUFBytes()
        file.header(tensors: 1, metadata: 0)
        file.tensor("double_blocks.0.img_attn.qkv.weight", dims: [256], type: id, offset: 0)
        file.padAndAppendData(dataBytes)
        let gguf = try GGUFFile(path: try scratch.write(file.bytes, name: "iq.gguf"))
        #expect(gguf.info("double_blocks.0.img_attn.qkv.weight")?.storedType == name)
        let error = #expect(throws: EngineError.self) { try gguf.load("double_blocks.0.img_attn.qkv.weight") }
        #expect(
            error?.description
                == "tensor 'double_blocks.0.img_attn.qkv.weight' is stored as \(name), which the engine cannot read; convert the file to F16, BF16, F8_E4M3 or a supported GGUF type"
        )
    }
}
