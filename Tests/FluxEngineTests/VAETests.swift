import Foundation
import Testing

@testable import FluxEngine

/// Compares FluxVAE with diffusers `AutoencoderKL` outputs recorded by
/// scripts/fixtures/vae_fixtures.py from a tiny random model (channels 16/32/32/32, 8 groups).
@Suite struct VAETests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/vae")
    static let sizes = ["48x48", "40x72"]

    static func store(_ file: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: fixtures.appendingPathComponent(file).path)
    }

    static func makeVAE(_ weightsFile: String = "weights-bfl.safetensors") throws -> FluxVAE {
        try FluxVAE(weights: store(weightsFile), groups: 8)
    }

    /// The largest difference relative to the reference's magnitude (at least 1).
    static func relativeError(_ value: Tensor, _ reference: Tensor) -> Float {
        value.maxAbsoluteDifference(to: reference) / max(reference.maxMagnitude, 1)
    }

    static func stages(_ run: (@escaping FluxVAE.Observer) throws -> Tensor) rethrows -> ([String: Tensor], Tensor) {
        nonisolated(unsafe) var seen: [String: Tensor] = [:]  // the observer runs synchronously on this thread
        let result = try run { name, value in seen[name] = value }
        return (seen, result)
    }

    @Test(arguments: sizes) func encodeMatchesEveryLevel(size: String) throws {
        let vae = try Self.makeVAE()
        let reference = try Self.store("vae-\(size).safetensors")

        let (stages, encoded) = try Self.stages { try vae.encode(reference.load("image"), observer: $0) }

        let names = ["encoder.conv_in"] + (0..<4).map { "encoder.down.\($0)" } + ["encoder.mid", "encoder.out"]
        #expect(Set(stages.keys) == Set(names))
        for name in names {
            let expected = try reference.load(name)
            let value = try #require(stages[name])
            // float32 against float32 in another summation order: the worst stage measured 1.6e-6 of
            // the magnitude; 2e-5 leaves room for other BLAS kernels, while a dropped norm term
            // (random norm weights and biases of ±0.3) moves values by ~0.1.
            #expect(Self.relativeError(value, expected) < 2e-5, "stage \(name)")
        }
        #expect(Self.relativeError(encoded, try reference.load("encoded")) < 2e-5)
    }

    @Test(arguments: sizes) func decodeMatchesEveryLevel(size: String) throws {
        let vae = try Self.makeVAE()
        let reference = try Self.store("vae-\(size).safetensors")

        let (stages, decoded) = try Self.stages { try vae.decode(reference.load("latents"), observer: $0) }

        let names = ["decoder.conv_in", "decoder.mid"] + (0..<4).map { "decoder.up.\($0)" } + ["decoder.out"]
        #expect(Set(stages.keys) == Set(names))
        for name in names {
            let expected = try reference.load(name)
            let value = try #require(stages[name])
            // Same reasoning as for the encoder: float32 reordering across ~25 convolutions.
            #expect(Self.relativeError(value, expected) < 2e-5, "stage \(name)")
        }
        #expect(Self.relativeError(decoded, try reference.load("decoded")) < 2e-5)
    }

    @Test func diffusersNamesGiveTheSameResult() throws {
        let bfl = try Self.makeVAE("weights-bfl.safetensors")
        let diffusers = try Self.makeVAE("weights-diffusers.safetensors")
        let reference = try Self.store("vae-40x72.safetensors")
        let latents = try reference.load("latents")

        let fromBFL = try bfl.decode(latents)
        let fromDiffusers = try diffusers.decode(latents)

        #expect(diffusers.weights.naming == .diffusers)
        #expect(bfl.weights.naming == .bfl)
        #expect(fromBFL.maxAbsoluteDifference(to: fromDiffusers) == 0)
    }

    @Test func architectureIsReadFromTheWeights() throws {
        let vae = try Self.makeVAE()

        #expect(vae.architecture.levelChannels == [16, 32, 32, 32])
        #expect(vae.architecture.encoderBlocks == 2)
        #expect(vae.architecture.decoderBlocks == 3)
        #expect(vae.latentChannels == 16)
        #expect(vae.downsamplingFactor == 8)
    }

    @Test func scalingIsConfigurable() throws {
        var vae = try Self.makeVAE()
        let image = try Self.store("vae-48x48.safetensors").load("image")
        let standard = try vae.encode(image)

        vae.scaleFactor = 1
        vae.shiftFactor = 0
        let raw = try vae.encode(image)

        let rescaled = Ops.map(raw) { ($0 - 0.1159) * 0.3611 }
        #expect(rescaled.maxAbsoluteDifference(to: standard) < 1e-6)
        #expect(raw.maxAbsoluteDifference(to: standard) > 0.01)
    }
}
