import Foundation

/// CLIP's text transformer (the CLIP-L text tower Flux uses for its pooled vector), run layer by
/// layer from a weight store with Hugging Face names: `text_model.embeddings.…` as in
/// `clip_l.safetensors`, or without the `text_model.` prefix as transformers 5 saves them.
///
/// Each layer is pre-LayerNorm: causal self-attention with biases, then fc1 → quick GELU → fc2,
/// both with residuals; a final LayerNorm follows. Sizes come from the tensor shapes.
public struct CLIPTextEncoder: Sendable {
    public let weights: any WeightStore
    public let hiddenSize: Int
    public let heads: Int
    public let layerCount: Int
    public let vocabularySize: Int
    /// Rows of the learned position embedding: the maximum token count (77 for CLIP-L).
    public let maximumLength: Int
    /// LayerNorm epsilon of every CLIP text model config.
    static let epsilon: Float = 1e-5
    /// `text_model.` or empty, whichever the store uses.
    let prefix: String

    /// The result of one run.
    public struct Output: Sendable {
        /// [tokens, hidden] after `final_layer_norm`.
        public var lastHiddenState: Tensor
        /// [hidden]: the row of `lastHiddenState` at the first largest token id, which is the first
        /// `<|endoftext|>` for CLIP ids (the legacy `eos_token_id = 2` rule of the CLIP-L config).
        public var pooled: Tensor
    }

    /// Reads the sizes from `weights`. `heads` defaults to hidden size / 64, CLIP's head width.
    public init(weights: any WeightStore, heads: Int? = nil) throws {
        let prefix = weights.contains("embeddings.token_embedding.weight") ? "" : "text_model."
        let tokenName = prefix + "embeddings.token_embedding.weight"
        let positionName = prefix + "embeddings.position_embedding.weight"
        guard let token = weights.info(tokenName) else {
            throw EngineError.missingTensor(name: tokenName, file: weights.origin)
        }
        guard let position = weights.info(positionName) else {
            throw EngineError.missingTensor(name: positionName, file: weights.origin)
        }
        guard token.shape.count == 2, position.shape.count == 2, position.shape[1] == token.shape[1] else {
            throw EngineError.unexpectedShape(name: positionName, expected: [-1, token.shape.last ?? -1], found: position.shape)
        }
        self.weights = weights
        self.prefix = prefix
        vocabularySize = token.shape[0]
        hiddenSize = token.shape[1]
        maximumLength = position.shape[0]
        self.heads = heads ?? max(1, hiddenSize / 64)
        guard self.heads > 0, hiddenSize % self.heads == 0 else {
            throw EngineError.invalidArgument(
                "CLIP hidden size \(hiddenSize) does not split into \(self.heads) attention heads; pass the model's head count"
            )
        }
        layerCount = Self.countLayers(weights.tensorNames, prefix: prefix + "encoder.layers.")
        guard layerCount > 0 else {
            throw EngineError.missingTensor(name: prefix + "encoder.layers.0.self_attn.q_proj.weight", file: weights.origin)
        }
    }

    /// Computes the pooled vector ([hidden]) that Flux conditions on.
    public func pooled(tokens: [Int32]) throws -> Tensor {
        try encode(tokens: tokens).pooled
    }

    /// Runs the encoder. `observer` receives the hidden states numbered as transformers numbers
    /// them: 0 for the embeddings and `n + 1` for the output of layer `n`, before the final LayerNorm.
    public func encode(tokens: [Int32], observer: ((_ index: Int, _ hidden: Tensor) -> Void)? = nil) throws -> Output {
        try validate(tokens)
        var hidden = try embed(tokens)
        observer?(0, hidden)
        for layer in 0..<layerCount {
            hidden = try runLayer(layer, hidden)
            observer?(layer + 1, hidden)
        }
        let final = try Ops.layerNorm(
            hidden,
            weight: weights.load(prefix + "final_layer_norm.weight", shape: [hiddenSize]),
            bias: weights.load(prefix + "final_layer_norm.bias", shape: [hiddenSize]),
            epsilon: Self.epsilon
        )
        let row = Self.firstArgmax(tokens)
        return Output(lastHiddenState: final, pooled: final.rows(row..<(row + 1)).reshaped([hiddenSize]))
    }

    private func validate(_ tokens: [Int32]) throws {
        guard !tokens.isEmpty, tokens.count <= maximumLength else {
            throw EngineError.invalidArgument(
                "CLIP takes 1 to \(maximumLength) tokens, got \(tokens.count); encode the prompt with CLIPTokenizer"
            )
        }
        if let index = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw EngineError.invalidArgument(
                "token id \(tokens[index]) at position \(index) is outside CLIP's vocabulary of \(vocabularySize); use the tokenizer that matches the weights"
            )
        }
    }

    /// Sums token and position embeddings into [tokens, hidden], converting only the rows used.
    private func embed(_ tokens: [Int32]) throws -> Tensor {
        let rows = try weights.gatherRows(prefix + "embeddings.token_embedding.weight", indices: tokens.map { Int($0) })
        let positions = try weights.load(prefix + "embeddings.position_embedding.weight", shape: [maximumLength, hiddenSize])
        return Ops.add(rows, positions.rows(0..<tokens.count))
    }

    /// Runs one pre-LN layer. Its weights are loaded here and released on return.
    private func runLayer(_ layer: Int, _ x: Tensor) throws -> Tensor {
        let prefix = prefix + "encoder.layers.\(layer)."
        let attentionInput = try layerNorm(x, prefix + "layer_norm1")
        let q = try TextLinear.load(weights, prefix + "self_attn.q_proj", outputs: hiddenSize, inputs: hiddenSize)
        let k = try TextLinear.load(weights, prefix + "self_attn.k_proj", outputs: hiddenSize, inputs: hiddenSize)
        let v = try TextLinear.load(weights, prefix + "self_attn.v_proj", outputs: hiddenSize, inputs: hiddenSize)
        let attention = Attention.scaledDotProduct(
            q: q(attentionInput), k: k(attentionInput), v: v(attentionInput),
            heads: heads, scale: 1 / Float(hiddenSize / heads).squareRoot(), causal: true
        )
        let out = try TextLinear.load(weights, prefix + "self_attn.out_proj", outputs: hiddenSize, inputs: hiddenSize)
        let afterAttention = Ops.add(x, out(attention))

        let mlpInput = try layerNorm(afterAttention, prefix + "layer_norm2")
        let fc1 = try Linear(weights, prefix + "mlp.fc1")
        let fc2 = try TextLinear.load(weights, prefix + "mlp.fc2", outputs: hiddenSize, inputs: fc1.outputFeatures)
        guard fc1.inputFeatures == hiddenSize else {
            throw EngineError.unexpectedShape(name: prefix + "mlp.fc1.weight", expected: [fc1.outputFeatures, hiddenSize], found: fc1.weight.shape)
        }
        return Ops.add(afterAttention, fc2(Ops.quickGelu(fc1(mlpInput))))
    }

    private func layerNorm(_ x: Tensor, _ prefix: String) throws -> Tensor {
        try Ops.layerNorm(
            x,
            weight: weights.load(prefix + ".weight", shape: [hiddenSize]),
            bias: weights.load(prefix + ".bias", shape: [hiddenSize]),
            epsilon: Self.epsilon
        )
    }

    /// Returns the index of the first largest id, as `torch.argmax` does.
    static func firstArgmax(_ tokens: [Int32]) -> Int {
        var best = 0
        for index in tokens.indices where tokens[index] > tokens[best] { best = index }
        return best
    }

    /// Counts the consecutive layers `prefix0.`, `prefix1.`, … present in `names`.
    static func countLayers(_ names: [String], prefix: String) -> Int {
        var indices = Set<Int>()
        for name in names where name.hasPrefix(prefix) {
            if let index = Int(name.dropFirst(prefix.count).prefix { $0 != "." }) { indices.insert(index) }
        }
        var count = 0
        while indices.contains(count) { count += 1 }
        return count
    }
}

/// Linear layers loaded with their shape checked against the model's sizes.
enum TextLinear {
    static func load(_ store: any WeightStore, _ prefix: String, outputs: Int, inputs: Int, bias: Bool = true) throws -> Linear {
        let weight = try store.load(prefix + ".weight", shape: [outputs, inputs])
        let biasTensor = bias ? try store.load(prefix + ".bias", shape: [outputs]) : nil
        return Linear(weight: weight, bias: biasTensor)
    }
}
