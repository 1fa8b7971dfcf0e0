import Foundation

extension FluxTransformer {
    /// Predicts the flow-matching velocity of the target tokens.
    ///
    /// - Parameters:
    ///   - image: [N+M, 64], the packed target latents followed by any reference latents.
    ///   - imageIDs: [N+M, 3] position ids: (0, row, column) for the target, (1, row, column) for a
    ///     Kontext reference.
    ///   - text: [T, context] text embeddings (T5); their ids are all zero, so RoPE leaves them as is.
    ///   - pooled: [pooled] vector (CLIP), or [1, pooled].
    ///   - timestep: sigma in [0, 1]; the model scales it by 1000 like the reference code.
    ///   - guidance: the distilled guidance value, ignored by a model without a guidance embedding.
    ///   - targetCount: N, the leading image rows whose prediction is returned.
    /// - Returns: [N, 64].
    public func velocity(
        image: Tensor,
        imageIDs: Tensor,
        text: Tensor,
        pooled: Tensor,
        timestep: Float,
        guidance: Float,
        targetCount: Int
    ) throws -> Tensor {
        try checkInputs(image: image, imageIDs: imageIDs, text: text, pooled: pooled, targetCount: targetCount)
        let vector = try conditioningVector(timestep: timestep, guidance: guidance, pooled: pooled)
        var imageTokens = try Linear(weights, "img_in")(image.reshaped([image.rowCount, image.rowLength]))
        var textTokens = try Linear(weights, "txt_in")(text.reshaped([text.rowCount, text.rowLength]))
        let rope = RotaryEmbedding(
            ids: imageIDs, axesDimensions: configuration.axesDimensions, theta: configuration.ropeTheta
        )
        for block in 0..<configuration.doubleBlocks {
            try doubleBlock(block, image: &imageTokens, text: &textTokens, vector: vector, rope: rope)
            blockObserver?(.double(block), textTokens, imageTokens)
        }
        let textCount = textTokens.rowCount
        var joint = Tensor.concatenatingRows([textTokens, imageTokens])
        for block in 0..<configuration.singleBlocks {
            try singleBlock(block, tokens: &joint, textCount: textCount, vector: vector, rope: rope)
            if let blockObserver {
                blockObserver(.single(block), joint.rows(0..<textCount), joint.rows(textCount..<joint.rowCount))
            }
        }
        // The final layer works row by row, so only the target rows go through it.
        let target = joint.rows(textCount..<(textCount + targetCount))
        return try finalLayer(target, vector: vector)
    }

    private func checkInputs(image: Tensor, imageIDs: Tensor, text: Tensor, pooled: Tensor, targetCount: Int) throws {
        let sizes = configuration
        guard image.rowLength == sizes.imageFeatures else {
            throw EngineError.invalidArgument("image tokens have \(image.rowLength) features, the transformer expects \(sizes.imageFeatures)")
        }
        guard imageIDs.rowLength == 3, imageIDs.rowCount == image.rowCount else {
            throw EngineError.invalidArgument("image ids have shape \(imageIDs.shape), expected [\(image.rowCount), 3]")
        }
        guard text.rowLength == sizes.contextFeatures else {
            throw EngineError.invalidArgument("text embeddings have \(text.rowLength) features, the transformer expects \(sizes.contextFeatures)")
        }
        guard pooled.count == sizes.pooledFeatures else {
            throw EngineError.invalidArgument("the pooled vector has \(pooled.count) values, the transformer expects \(sizes.pooledFeatures)")
        }
        guard targetCount > 0, targetCount <= image.rowCount else {
            throw EngineError.invalidArgument("target token count \(targetCount) must be in 1...\(image.rowCount)")
        }
    }

    /// vec = time_in(emb(t)) + guidance_in(emb(g)) + vector_in(pooled), shape [1, hidden].
    func conditioningVector(timestep: Float, guidance: Float, pooled: Tensor) throws -> Tensor {
        var vector = try embedder("time_in", Self.timestepEmbedding(timestep * 1000))
        if configuration.hasGuidanceEmbedding {
            vector = Ops.add(vector, try embedder("guidance_in", Self.timestepEmbedding(guidance * 1000)))
        }
        return Ops.add(vector, try embedder("vector_in", pooled.reshaped([1, pooled.count])))
    }

    /// Runs an MLPEmbedder: in_layer, SiLU, out_layer.
    private func embedder(_ prefix: String, _ input: Tensor) throws -> Tensor {
        let hidden = Ops.silu(try Linear(weights, prefix + ".in_layer")(input))
        return try Linear(weights, prefix + ".out_layer")(hidden)
    }

    /// Computes the sinusoidal embedding of a scaled timestep, [cos(t·f_i), sin(t·f_i)] for 128
    /// frequencies f_i = exp(−ln(10000)·i/128), as [1, 256].
    ///
    /// The exponent is rounded to float32 before `exp` and the argument is a float32 product, as in
    /// diffusers' `get_timestep_embedding`, so the large arguments (up to 1000) match torch.
    static func timestepEmbedding(_ scaledTime: Float, dimension: Int = 256) -> Tensor {
        let half = dimension / 2
        var out = [Float](repeating: 0, count: dimension)
        let logPeriod = Float(-log(10_000.0))
        for index in 0..<half {
            let exponent = logPeriod * Float(index) / Float(half)
            let frequency = Float(exp(Double(exponent)))
            let argument = Double(scaledTime * frequency)
            out[index] = Float(cos(argument))
            out[half + index] = Float(sin(argument))
        }
        return Tensor(shape: [1, dimension], storage: out)
    }

    /// final_layer: (1 + scale)·LN(x) + shift from SiLU(vec), then a Linear to the 64 latent features.
    private func finalLayer(_ tokens: Tensor, vector: Tensor) throws -> Tensor {
        let parts = try modulation("final_layer.adaLN_modulation.1", vector: vector, count: 2)
        let modulated = Self.modulate(tokens, shift: parts[0], scale: parts[1])
        return try Linear(weights, "final_layer.linear")(modulated)
    }
}
