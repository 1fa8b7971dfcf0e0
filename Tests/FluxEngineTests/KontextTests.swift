import Foundation
import Testing

@testable import FluxEngine

/// A full diffusers `FluxKontextPipeline` run (tiny transformer and VAE, 64x48 output, 48x64
/// reference, 3 steps, guidance 2.5, seed 7); see scripts/fixtures/kontext_fixtures.py.
enum KontextFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kontext")

    static func file(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: directory.appendingPathComponent(name).path)
    }
}

@Suite struct KontextTests {
    /// The noise is bit-exact, so the steps differ only by float32 reordering in the transformer:
    /// 2.4e-7, 4.8e-7 and 7.2e-7 at values up to 3.5 (2e-7 relative). Errors grow with every
    /// step, so 1e-5 relative leaves room for a longer run while a wrong sigma or id breaks it.
    static let relativeTolerance: Float = 1e-5

    @Test func denoiserMatchesPipelineSteps() throws {
        let run = try KontextFixtures.file("run.safetensors")
        let conditioningFile = try KontextFixtures.file("conditioning.safetensors")
        let transformer = try FluxTransformer(
            weights: TransformerFixtures.file("weights-bfl.safetensors"), axesDimensions: TransformerFixtures.axes
        )
        let conditioning = KontextConditioning(
            promptEmbeddings: try conditioningFile.load("prompt_embeds"),
            pooledEmbedding: try conditioningFile.load("pooled_prompt_embeds")
        )
        let recorder = StepRecorder()
        let latents = try KontextDenoiser(transformer: transformer).denoise(
            conditioning: conditioning,
            reference: run.load("reference_latents"),
            width: 64,
            height: 48,
            steps: 3,
            guidance: 2.5,
            seed: 7
        ) { step, latents in recorder.steps.append((step, latents)) }

        #expect(recorder.steps.map(\.0) == [0, 1, 2])
        for (step, stepLatents) in recorder.steps {
            let expected = try run.load("step\(step)")
            #expect(stepLatents.shape == expected.shape)
            let difference = stepLatents.maxAbsoluteDifference(to: expected)
            #expect(difference <= Self.relativeTolerance * expected.maxMagnitude, "step \(step): \(difference)")
        }
        #expect(latents == recorder.steps.last?.1)
    }

    @Test func denoiserNoiseIsTorchNoise() throws {
        let run = try KontextFixtures.file("run.safetensors")
        var random = TorchRandom(seed: 7)
        #expect(random.normal(shape: [16, 6, 8]) == (try run.load("noise")))
    }

    @Test func denoiserRejectsWrongReference() throws {
        let transformer = try FluxTransformer(
            weights: TransformerFixtures.file("weights-bfl.safetensors"), axesDimensions: TransformerFixtures.axes
        )
        let conditioning = KontextConditioning(promptEmbeddings: Tensor(shape: [2, 32]), pooledEmbedding: Tensor(shape: [16]))
        #expect(throws: EngineError.invalidArgument("reference latents have shape [4, 6, 8], expected [16, h, w]")) {
            _ = try KontextDenoiser(transformer: transformer).denoise(
                conditioning: conditioning, reference: Tensor(shape: [4, 6, 8]), width: 64, height: 48,
                steps: 1, guidance: 2.5, seed: 0
            )
        }
    }
}

final class StepRecorder: @unchecked Sendable {
    // NOTE: @unchecked Sendable is safe because the denoiser calls back on the calling thread only.
    var steps: [(Int, Tensor)] = []
}
