import Foundation
import Imaging
import Recipes
import Testing

/// Inputs that made a fuzz target crash, kept in fuzz/regressions/<target>/ by scripts/fuzz. Each must
/// now be rejected with an error, in this process, without a crash.
struct FuzzRegressionTests {
    static let folder = DaemonHarness.repositoryRoot + "/fuzz/regressions"

    /// Returns the inputs of one target; hidden files such as .gitkeep are not inputs.
    static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let path = folder + "/" + target
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted().map {
            ($0, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + $0))))
        }
    }

    @Test func imageDecoderRejectsCrashInputs() throws {
        for input in try Self.inputs("image-decoder") {
            #expect(throws: ImageDecodingError.self, "\(input.name)") {
                try ImageDecoder.decode(input.bytes, limits: DecodeLimits(maxMegapixels: 4))
            }
        }
    }

    @Test func sidecarParserRejectsCrashInputs() throws {
        for input in try Self.inputs("sidecar-parser") {
            #expect(throws: RecipesError.self, "\(input.name)") {
                try InstructionParser(kind: .sidecar).parse(input.bytes, fileName: "fuzz.yaml")
            }
        }
    }
}
