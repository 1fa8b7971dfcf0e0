import Foundation
import Testing

@testable import FluxEngine

@Suite struct SafeTensorsTests {
    let types: SafeTensorsFile
    let expected: SafeTensorsFile

    init() throws {
        types = try SafeTensorsFile(path: fixturePath("safetensors", "types.safetensors"))
        expected = try SafeTensorsFile(path: fixturePath("safetensors", "types_expected.safetensors"))
    }

    /// Compares each element type with torch's `.float()`. Conversions to float32 are exact, so the bit
    /// patterns must match, except that any NaN matches any NaN.
    @Test(arguments: [
        ("f32", "F32"), ("f16", "F16"), ("bf16", "BF16"), ("vector", "BF16"), ("f8_e4m3", "F8_E4M3"),
        ("f8_e5m2", "F8_E5M2"),
    ])
    func conversionMatchesTorch(name: String, type: String) throws {
        let tensor = try types.load(name)
        let reference = try expected.load(name)
        #expect(types.info(name)?.storedType == type)
        #expect(tensor.shape == reference.shape)
        let found = tensor.storage.map { $0.isNaN ? Float.nan : $0 }
        let expectedValues = reference.storage.map { $0.isNaN ? Float.nan : $0 }
        let difference = firstBitDifference(found, expectedValues)
        #expect(difference == nil, "\(name): first differing element \(String(describing: difference))")
    }

    @Test func float8EdgeValues() throws {
        let e4m3 = try types.load("f8_e4m3").storage
        let e5m2 = try types.load("f8_e5m2").storage
        #expect(e4m3[0x7E] == 448)
        #expect(e4m3[0xFE] == -448)
        #expect(e4m3[0x01] == 0x1p-9)
        #expect(e4m3[0x7F].isNaN)
        #expect(e5m2[0x7C] == .infinity)
        #expect(e5m2[0x01] == 0x1p-16)
        #expect(e5m2[0x7D].isNaN)
    }

    @Test func subnormalHalfIsKept() throws {
        let value = try types.load("f16").storage[0]
        #expect(value > 0)
        #expect(value < Float(Float16.leastNormalMagnitude))
    }

    @Test func metadataIsRead() {
        #expect(types.metadata == ["format": "pt"])
    }
}

@Suite struct SafeTensorsMalformedTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    /// Builds an 8-byte little-endian header length, the header text, then `data` zero bytes.
    func file(header: String, declaredLength: UInt64? = nil, data: Int = 0) -> [UInt8] {
        var bytes = GGUFBytes()
        bytes.integer(declaredLength ?? UInt64(header.utf8.count))
        bytes.bytes.append(contentsOf: header.utf8)
        bytes.bytes.append(contentsOf: [UInt8](repeating: 0, count: data))
        return bytes.bytes
    }

    func openingError(_ bytes: [UInt8]) throws -> (path: String, message: String?) {
        let path = try scratch.write(bytes, name: "model.safetensors")
        let error = #expect(throws: EngineError.self) { _ = try SafeTensorsFile(path: path) }
        return (path, error?.description)
    }

    @Test func shorterThanTheLengthField() throws {
        let (path, message) = try openingError([1, 2, 3])
        #expect(message == "'\(path)' is not a valid weights file: shorter than the 8-byte header length")
    }

    @Test func headerLengthPastTheEnd() throws {
        let (path, message) = try openingError(file(header: "{}", declaredLength: 4096))
        #expect(message == "'\(path)' is not a valid weights file: header length 4096 does not fit the file")
    }

    @Test func headerNotAnObject() throws {
        let (path, message) = try openingError(file(header: "[1, 2]"))
        #expect(message == "'\(path)' is not a valid weights file: the header is not a JSON object")
    }

    @Test func tensorWithoutOffsets() throws {
        let (path, message) = try openingError(file(header: #"{"w":{"dtype":"F32","shape":[2]}}"#))
        #expect(message == "'\(path)' is not a valid weights file: tensor 'w' has no dtype, shape or data_offsets")
    }

    @Test func dataRangePastTheEnd() throws {
        let (path, message) = try openingError(
            file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4)
        )
        #expect(message == "'\(path)' is not a valid weights file: tensor 'w' has data range [0, 8] outside the file")
    }

    @Test func byteCountDisagreesWithShape() throws {
        let (path, message) = try openingError(
            file(header: #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#, data: 8)
        )
        #expect(
            message
                == "'\(path)' is not a valid weights file: tensor 'w' of shape [3] and type F16 needs 6 bytes, has 8"
        )
    }
}
