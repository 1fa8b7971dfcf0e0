import Foundation
import Testing

@testable import FluxEngine

@Suite struct SamplerTests {
    static let randn = try? TransformerFixtures.file("randn.safetensors")

    static let randnKeys: [String] = {
        var keys: [String] = []
        for seed in ["0", "42", "1234", "4294967301"] {
            for count in [1, 5, 15, 16, 37, 100, 1000] { keys.append("seed\(seed)-n\(count)") }
        }
        return keys
    }()

    /// Bit-for-bit: the noise must be exactly torch's so a seed reproduces diffusers' image.
    @Test(arguments: randnKeys)
    func torchRandomMatchesTorch(key: String) throws {
        let expected = try #require(Self.randn).load(key)
        let parts = key.dropFirst(4).split(separator: "-n")
        let seed = try #require(UInt64(parts[0]))
        var random = TorchRandom(seed: seed)
        let values = random.normal(count: expected.count)
        #expect(values == expected.storage)
    }

    @Test func torchRandomMatchesNoiseShape() throws {
        let expected = try #require(Self.randn).load("seed7-shape1x16x8x6")
        var random = TorchRandom(seed: 7)
        #expect(random.normal(shape: [16, 8, 6]).storage == expected.storage)
    }

    @Test func mersenneTwisterFirstOutputs() {
        // The reference values of std::mt19937 seeded with 5489 (its default seed).
        var random = TorchRandom(seed: 5489)
        #expect(random.next32() == 3_499_211_612)
        #expect(random.next32() == 581_869_302)
        for _ in 2..<9999 { _ = random.next32() }
        #expect(random.next32() == 4_123_659_995)
    }

    @Test(arguments: [(4, 16), (28, 4096), (10, 1024), (3, 12)])
    func scheduleMatchesDiffusers(steps: Int, tokens: Int) throws {
        let file = try TransformerFixtures.file("schedule.safetensors")
        let expected = try file.load("steps\(steps)-tokens\(tokens)").storage
        let sigmas = FlowMatchSchedule.sigmas(steps: steps, targetTokens: tokens)
        #expect(sigmas.count == expected.count)
        for (actual, reference) in zip(sigmas, expected) {
            // Float32 arithmetic in the same order as NumPy; allow one unit in the last place.
            #expect(abs(actual - reference) <= reference.ulp, "sigma \(actual) vs \(reference)")
        }
    }

    @Test func shiftEndpoints() {
        #expect(abs(FlowMatchSchedule.shift(targetTokens: 256) - 0.5) < 1e-12)
        #expect(abs(FlowMatchSchedule.shift(targetTokens: 4096) - 1.15) < 1e-12)
        #expect(abs(FlowMatchSchedule.shift(targetTokens: 1024) - 0.63) < 1e-12)
    }

    @Test func eulerStepMovesAlongVelocity() {
        var latents = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        let velocity = Tensor(shape: [2, 2], storage: [10, -10, 0.5, 0])
        FlowMatchSchedule.eulerStep(&latents, velocity: velocity, sigma: 0.75, nextSigma: 0.5)
        let expected: [Float] = [-1.5, 4.5, 2.875, 4]
        #expect(latents.storage == expected)
    }

    @Test func packingFollowsChannelPatchOrder() throws {
        // Value = channel·100 + row·10 + column, so every position is recognisable.
        var values: [Float] = []
        for channel in 0..<2 { for row in 0..<2 { for column in 0..<4 { values.append(Float(channel * 100 + row * 10 + column)) } } }
        let latents = Tensor(shape: [2, 2, 4], storage: values)
        let tokens = try LatentPacking.pack(latents)
        #expect(tokens.shape == [2, 8])
        let expected: [Float] = [0, 1, 10, 11, 100, 101, 110, 111, 2, 3, 12, 13, 102, 103, 112, 113]
        #expect(tokens.storage == expected)
        #expect(try LatentPacking.unpack(tokens, height: 2, width: 4) == latents)
    }

    @Test func packingRejectsOddSize() {
        let latents = Tensor(shape: [16, 3, 4])
        #expect(throws: EngineError.invalidArgument(
            "latents of shape [16, 3, 4] cannot be packed; expected [channels, h, w] with even h and w (an image size that is a multiple of 16)"
        )) {
            _ = try LatentPacking.pack(latents)
        }
    }

    @Test func positionIDsForReference() {
        let ids = LatentPacking.positionIDs(index: 1, rows: 2, columns: 3)
        #expect(ids.shape == [6, 3])
        let expected: [Float] = [1, 0, 0, 1, 0, 1, 1, 0, 2, 1, 1, 0, 1, 1, 1, 1, 1, 2]
        #expect(ids.storage == expected)
    }
}
