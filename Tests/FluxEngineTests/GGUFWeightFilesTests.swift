import Foundation
import Testing

@testable import FluxEngine

@Suite struct GGUFWeightFilesTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    /// Copies a fixture under another name, so the extension does not match the format.
    func copy(_ area: String, _ file: String, as name: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixturePath(area, file)))
        return try scratch.write(Array(bytes), name: name)
    }

    @Test func formatComesFromMagicBytesNotExtension() throws {
        let gguf = try WeightFiles.open(path: try copy("gguf", "aligned.gguf", as: "model.safetensors"))
        let safetensors = try WeightFiles.open(path: try copy("safetensors", "types.safetensors", as: "model.gguf"))
        #expect(gguf is GGUFFile)
        #expect(safetensors is SafeTensorsFile)
        #expect(try gguf.load("second").storage == [-10, -9, -8, -7, -6, -5])
        #expect(try safetensors.load("vector").storage == [1.5, -2.25])
    }

    @Test(arguments: [("gguf", "prefixed.gguf"), ("safetensors", "prefixed.safetensors")])
    func diffusionModelPrefixIsStripped(area: String, file: String) throws {
        let store = try WeightFiles.open(path: fixturePath(area, file))
        #expect(store.tensorNames == ["img_in.bias", "img_in.weight"])
        #expect(try store.load("img_in.bias").storage == [0.5, -0.5])
        #expect(try store.load("img_in.weight").shape == [2, 4])
    }

    @Test func mixedNamesKeepTheirPrefix() throws {
        let store = try WeightFiles.open(path: fixturePath("gguf", "aligned.gguf"))
        #expect(store.tensorNames == ["first", "second"])
    }

    @Test func unrecognisedFormatNamesPathAndBytes() throws {
        let path = try scratch.write(Array("PK\u{3}\u{4} zip archive".utf8), name: "model.gguf")
        let error = #expect(throws: EngineError.self) { _ = try WeightFiles.open(path: path) }
        #expect(
            error?.description
                == "'\(path)' is not a valid weights file: it starts with bytes 50 4b 03 04 20 7a 69 70 20, but a safetensors file starts with an 8-byte header length and '{', and a GGUF file with 'GGUF'"
        )
    }

    @Test func emptyFile() throws {
        let path = try scratch.write([], name: "empty.safetensors")
        let error = #expect(throws: EngineError.self) { _ = try WeightFiles.open(path: path) }
        #expect(
            error?.description
                == "'\(path)' is not a valid weights file: the file is empty, but a safetensors file starts with an 8-byte header length and '{', and a GGUF file with 'GGUF'"
        )
    }

    @Test func missingFile() throws {
        let path = scratch.path + "/absent.gguf"
        let error = #expect(throws: EngineError.self) { _ = try WeightFiles.open(path: path) }
        #expect(error?.description == "cannot read weights file '\(path)': No such file or directory")
    }
}
