import FluxEngine
import Foundation

/// One stage's figures, printed as a JSON object for `bench/engine/report.py`.
struct StageResult: Codable {
    var stage: String
    var weights: String
    var weightsBytes: Int
    var threads: Int
    /// The OpenBLAS kernel family in use (`OpenBLASCore.current`).
    var openBLASCore: String
    var timing: Timing.Result
    /// Largest absolute difference between the engine's output and PyTorch's.
    var maxAbsoluteDifference: Float
    /// Largest absolute value of PyTorch's output, the scale the difference is judged against.
    var referenceMagnitude: Float
    var memory: MemoryProbe.Peaks
}

/// Runs the engine stages on the weights and inputs that `bench/engine/torch_engine.py` wrote.
struct StageBenchmarks {
    var options: EngineBenchOptions

    /// Times one transformer step: the velocity of the target tokens with a same-sized reference.
    func transformer() throws -> StageResult {
        let probe = MemoryProbe()
        let ioPath = options.path("transformer-io.safetensors")
        let io = try SafeTensorsFile(path: ioPath)
        let weightsPath = options.weights ?? options.path("transformer.safetensors")
        let model = try FluxTransformer(weights: try WeightFiles.open(path: weightsPath))
        let expected = try io.load("output")
        let timestep = try io.load("timestep").storage[0]
        let guidance = try io.load("guidance").storage[0]
        let image = try io.load("image")
        let ids = try io.load("image_ids")
        let text = try io.load("text")
        let pooled = try io.load("pooled")
        let (timing, output) = try Timing.run(warmups: options.warmups, repeats: options.repeats) {
            try model.velocity(
                image: image, imageIDs: ids, text: text, pooled: pooled,
                timestep: timestep, guidance: guidance, targetCount: expected.rowCount
            )
        }
        return result("transformer", weightsPath, timing, output, expected, probe)
    }

    /// Times one VAE decode of scaled latents to an RGB image in [-1, 1].
    func vae() throws -> StageResult {
        let probe = MemoryProbe()
        let io = try SafeTensorsFile(path: options.path("vae-io.safetensors"))
        let weightsPath = options.path("vae.safetensors")
        let model = try FluxVAE(weights: try SafeTensorsFile(path: weightsPath))
        let latents = try io.load("latents")
        let expected = try io.load("output")
        let (timing, output) = try Timing.run(warmups: options.warmups, repeats: options.repeats) {
            try model.decode(latents)
        }
        return result("vae-decode", weightsPath, timing, output, expected, probe)
    }

    /// Times CLIP-L's pooled vector and then the T5 encoder's hidden states.
    func text() throws -> [StageResult] {
        let io = try SafeTensorsFile(path: options.path("text-io.safetensors"))
        let clipTokens = try io.load("clip_tokens").storage.map { Int32($0) }
        let t5Tokens = try io.load("t5_tokens").storage.map { Int32($0) }

        var probe = MemoryProbe()
        let clipPath = options.path("clip.safetensors")
        let clip = try CLIPTextEncoder(weights: try SafeTensorsFile(path: clipPath))
        let (clipTiming, pooled) = try Timing.run(warmups: options.warmups, repeats: options.repeats) {
            try clip.pooled(tokens: clipTokens)
        }
        let clipResult = result("clip", clipPath, clipTiming, pooled, try io.load("clip_pooled"), probe)

        probe = MemoryProbe()
        let t5Path = options.path("t5.safetensors")
        let t5 = try T5Encoder(weights: try SafeTensorsFile(path: t5Path))
        let (t5Timing, hidden) = try Timing.run(warmups: options.warmups, repeats: options.repeats) {
            try t5.encode(tokens: t5Tokens)
        }
        return [clipResult, result("t5", t5Path, t5Timing, hidden, try io.load("t5_output"), probe)]
    }

    private func result(
        _ stage: String,
        _ weightsPath: String,
        _ timing: Timing.Result,
        _ output: Tensor,
        _ expected: Tensor,
        _ probe: MemoryProbe
    ) -> StageResult {
        let size = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
        let difference = output.count == expected.count
            ? output.reshaped(expected.shape).maxAbsoluteDifference(to: expected) : .infinity
        return StageResult(
            stage: stage, weights: weightsPath, weightsBytes: size, threads: options.threads,
            openBLASCore: OpenBLASCore.current,
            timing: timing, maxAbsoluteDifference: difference, referenceMagnitude: expected.maxMagnitude,
            memory: probe.finish()
        )
    }
}
