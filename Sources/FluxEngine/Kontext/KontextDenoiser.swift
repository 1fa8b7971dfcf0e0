/// The text conditioning of a Kontext edit: T5 embeddings and the pooled CLIP vector.
public struct KontextConditioning: Sendable {
    /// [T, context] T5 hidden states (512 × 4096 for FLUX.1).
    public var promptEmbeddings: Tensor
    /// [pooled] CLIP pooled output (768 for FLUX.1).
    public var pooledEmbedding: Tensor

    public init(promptEmbeddings: Tensor, pooledEmbedding: Tensor) {
        self.promptEmbeddings = promptEmbeddings
        self.pooledEmbedding = pooledEmbedding
    }
}

/// The denoising loop of FLUX.1 Kontext [dev], as diffusers' `FluxKontextPipeline` runs it with a
/// CPU generator and true CFG off.
///
/// The noise comes from the seed and the shifted Euler schedule counts the target tokens only. The
/// reference tokens are appended with position ids (1, row, column) at every step.
public struct KontextDenoiser: Sendable {
    /// Reports the step index (0-based) and the latents [16, h, w] after that step.
    public typealias StepCallback = (_ step: Int, _ latents: Tensor) throws -> Void

    public let transformer: FluxTransformer

    public init(transformer: FluxTransformer) {
        self.transformer = transformer
    }

    /// Denoises from the seed's noise to latents [16, height/8, width/8] for the VAE decoder.
    ///
    /// - Parameters:
    ///   - reference: VAE-encoded reference latents [16, h', w'] (scaled and shifted), h' and w' even.
    ///   - width, height: output size in pixels; like the pipeline, each is floored to a multiple of 16.
    ///     The pipeline keeps this size only when called with `max_area=width*height`.
    ///   - seed: reproduces `torch.Generator("cpu").manual_seed(seed)` in diffusers (float32 noise).
    public func denoise(
        conditioning: KontextConditioning,
        reference: Tensor,
        width: Int,
        height: Int,
        steps: Int,
        guidance: Float,
        seed: UInt64,
        onStep: StepCallback? = nil
    ) throws -> Tensor {
        let latentHeight = 2 * (height / 16)
        let latentWidth = 2 * (width / 16)
        guard latentHeight > 0, latentWidth > 0 else {
            throw EngineError.invalidArgument("output size \(width)x\(height) is too small; width and height must be at least 16")
        }
        guard steps > 0 else { throw EngineError.invalidArgument("steps is \(steps); use at least 1") }
        let channels = transformer.configuration.imageFeatures / 4
        guard reference.rank == 3, reference.shape[0] == channels else {
            throw EngineError.invalidArgument("reference latents have shape \(reference.shape), expected [\(channels), h, w]")
        }

        var random = TorchRandom(seed: seed)
        let noise = random.normal(shape: [channels, latentHeight, latentWidth])
        var latents = try LatentPacking.pack(noise)
        let referenceTokens = try LatentPacking.pack(reference)
        let ids = Tensor.concatenatingRows([
            LatentPacking.positionIDs(index: 0, rows: latentHeight / 2, columns: latentWidth / 2),
            LatentPacking.positionIDs(index: 1, rows: reference.shape[1] / 2, columns: reference.shape[2] / 2),
        ])
        let targetCount = latents.rowCount
        let sigmas = FlowMatchSchedule.sigmas(steps: steps, targetTokens: targetCount)

        for step in 0..<steps {
            // The pipeline passes (σ·1000)/1000 in float32, which can differ from σ in the last place.
            let timestep = (sigmas[step] * 1000) / 1000
            let velocity = try transformer.velocity(
                image: Tensor.concatenatingRows([latents, referenceTokens]),
                imageIDs: ids,
                text: conditioning.promptEmbeddings,
                pooled: conditioning.pooledEmbedding,
                timestep: timestep,
                guidance: guidance,
                targetCount: targetCount
            )
            FlowMatchSchedule.eulerStep(&latents, velocity: velocity, sigma: sigmas[step], nextSigma: sigmas[step + 1])
            if let onStep {
                try onStep(step, try LatentPacking.unpack(latents, height: latentHeight, width: latentWidth))
            }
        }
        return try LatentPacking.unpack(latents, height: latentHeight, width: latentWidth)
    }
}
