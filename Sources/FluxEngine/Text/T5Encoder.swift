import Foundation

/// The encoder stack of T5 v1.1 (T5-XXL in Flux), run block by block from a weight store with
/// Hugging Face names (`encoder.block.N…`, `shared.weight`) or llama.cpp GGUF names.
///
/// Each block: RMSNorm → self-attention without 1/√d scaling, with the relative position bias of
/// block 0 → residual; RMSNorm → wo(gelu_tanh(wi_0·x) ⊙ wi_1·x) → residual. A final RMSNorm follows.
/// No attention mask is applied, so padding tokens take part as in the Flux pipelines.
public struct T5Encoder: Sendable {
    /// The store, with GGUF names translated to Hugging Face names.
    public let weights: any WeightStore
    public let modelWidth: Int
    public let heads: Int
    /// Width of one head (`d_kv`, 64 in T5-XXL).
    public let headWidth: Int
    public let feedForwardWidth: Int
    public let blockCount: Int
    public let vocabularySize: Int
    public let bucketCount: Int
    /// The distance from which all distances share the last bucket, 128 in every T5 v1.1 config.
    public let maximumDistance: Int
    /// RMSNorm epsilon of the T5 configs.
    static let epsilon: Float = 1e-6
    static let biasName = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"

    /// Reads the sizes from `weights`: width from the embedding, heads and buckets from the
    /// relative attention bias ([buckets, heads]), head width from the query projection.
    public init(weights: any WeightStore, maximumDistance: Int = 128) throws {
        let store: any WeightStore = T5GGUFNames.isGGUF(weights) ? T5GGUFNames(base: weights) : weights
        let embedding = try Self.embeddingName(store)
        guard let table = store.info(embedding), table.shape.count == 2 else {
            throw EngineError.missingTensor(name: embedding, file: store.origin)
        }
        guard let bias = store.info(Self.biasName) else {
            throw EngineError.missingTensor(name: Self.biasName, file: store.origin)
        }
        let query = "encoder.block.0.layer.0.SelfAttention.q.weight"
        guard let queryInfo = store.info(query) else { throw EngineError.missingTensor(name: query, file: store.origin) }
        let gate = "encoder.block.0.layer.1.DenseReluDense.wi_0.weight"
        guard let gateInfo = store.info(gate) else { throw EngineError.missingTensor(name: gate, file: store.origin) }
        self.weights = store
        vocabularySize = table.shape[0]
        modelWidth = table.shape[1]
        bucketCount = bias.shape.first ?? 0
        heads = bias.shape.last ?? 0
        self.maximumDistance = maximumDistance
        feedForwardWidth = gateInfo.shape.first ?? 0
        guard bias.shape.count == 2, heads > 0, bucketCount >= 4,
            queryInfo.shape.count == 2, queryInfo.shape[1] == modelWidth, queryInfo.shape[0] % heads == 0
        else {
            throw EngineError.unexpectedShape(name: query, expected: [heads * 64, modelWidth], found: queryInfo.shape)
        }
        headWidth = queryInfo.shape[0] / heads
        blockCount = CLIPTextEncoder.countLayers(store.tensorNames, prefix: "encoder.block.")
    }

    /// Encodes `tokens` to [tokens, modelWidth]. `observer` receives the output of each block
    /// before the final RMSNorm, numbered from 0.
    public func encode(tokens: [Int32], observer: ((_ block: Int, _ hidden: Tensor) -> Void)? = nil) throws -> Tensor {
        try validate(tokens)
        var hidden = try embed(tokens)
        let bias = try relativePositionBias(length: tokens.count)
        for block in 0..<blockCount {
            hidden = try runBlock(block, hidden, bias: bias)
            observer?(block, hidden)
        }
        return Ops.rmsNorm(
            hidden, scale: try weights.load("encoder.final_layer_norm.weight", shape: [modelWidth]), epsilon: Self.epsilon
        )
    }

    private func validate(_ tokens: [Int32]) throws {
        guard !tokens.isEmpty else {
            throw EngineError.invalidArgument("T5 needs at least one token; encode the prompt with T5Tokenizer")
        }
        if let index = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw EngineError.invalidArgument(
                "token id \(tokens[index]) at position \(index) is outside T5's vocabulary of \(vocabularySize); use the tokenizer that matches the weights"
            )
        }
    }

    /// Gathers rows of the shared embedding, not scaled.
    // NOTE: safetensors files convert only these rows; GGUF files still convert the whole table
    // (32128 × 4096 floats, 526 MB for T5-XXL) once, because GGUFFile keeps the default gatherRows.
    private func embed(_ tokens: [Int32]) throws -> Tensor {
        try weights.gatherRows(Self.embeddingName(weights), indices: tokens.map { Int($0) })
    }

    /// Runs one block. Its weights are loaded here and released on return.
    private func runBlock(_ block: Int, _ x: Tensor, bias: RelativePositionBias) throws -> Tensor {
        let prefix = "encoder.block.\(block).layer."
        let inner = heads * headWidth
        let attentionInput = try rmsNorm(x, prefix + "0.layer_norm.weight")
        let attention: Tensor
        do {
            let q = try TextLinear.load(weights, prefix + "0.SelfAttention.q", outputs: inner, inputs: modelWidth, bias: false)
            let k = try TextLinear.load(weights, prefix + "0.SelfAttention.k", outputs: inner, inputs: modelWidth, bias: false)
            let v = try TextLinear.load(weights, prefix + "0.SelfAttention.v", outputs: inner, inputs: modelWidth, bias: false)
            attention = Attention.scaledDotProduct(
                q: q(attentionInput), k: k(attentionInput), v: v(attentionInput),
                heads: heads, scale: 1,
                bias: { head, row, scores in bias.add(head: head, queryRow: row, scores: scores) }
            )
        }
        let o = try TextLinear.load(weights, prefix + "0.SelfAttention.o", outputs: modelWidth, inputs: inner, bias: false)
        let afterAttention = Ops.add(x, o(attention))

        let feedForwardInput = try rmsNorm(afterAttention, prefix + "1.layer_norm.weight")
        let dense = prefix + "1.DenseReluDense."
        let gate = try TextLinear.load(weights, dense + "wi_0", outputs: feedForwardWidth, inputs: modelWidth, bias: false)
        let up = try TextLinear.load(weights, dense + "wi_1", outputs: feedForwardWidth, inputs: modelWidth, bias: false)
        let gated = Ops.multiply(Ops.geluTanh(gate(feedForwardInput)), up(feedForwardInput))
        let down = try TextLinear.load(weights, dense + "wo", outputs: modelWidth, inputs: feedForwardWidth, bias: false)
        return Ops.add(afterAttention, down(gated))
    }

    private func rmsNorm(_ x: Tensor, _ name: String) throws -> Tensor {
        Ops.rmsNorm(x, scale: try weights.load(name, shape: [modelWidth]), epsilon: Self.epsilon)
    }

    private func relativePositionBias(length: Int) throws -> RelativePositionBias {
        let table = try weights.load(Self.biasName, shape: [bucketCount, heads])
        return RelativePositionBias(
            table: table, length: length, heads: heads, buckets: bucketCount, maximumDistance: maximumDistance
        )
    }

    /// Returns `shared.weight`, or the tied copy `encoder.embed_tokens.weight` that some exports keep instead.
    static func embeddingName(_ store: any WeightStore) throws -> String {
        for name in ["shared.weight", "encoder.embed_tokens.weight"] where store.contains(name) { return name }
        throw EngineError.missingTensor(name: "shared.weight", file: store.origin)
    }
}
