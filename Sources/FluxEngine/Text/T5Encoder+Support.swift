#if canImport(Glibc)
import Glibc
#endif

/// T5's bidirectional relative position bias, expanded for one sequence length: per head, one
/// value for every key − query offset from −(length − 1) to length − 1.
struct RelativePositionBias: Sendable {
    let values: [Float]
    let length: Int

    init(table: Tensor, length: Int, heads: Int, buckets: Int, maximumDistance: Int) {
        let offsets = 2 * length - 1
        var values = [Float](repeating: 0, count: heads * offsets)
        for offset in 0..<offsets {
            let bucket = Self.bucket(offset - (length - 1), buckets: buckets, maximumDistance: maximumDistance)
            for head in 0..<heads { values[head * offsets + offset] = table.storage[bucket * heads + head] }
        }
        self.values = values
        self.length = length
    }

    /// Adds the bias of `head` for `queryRow` to a row of scores over all keys.
    func add(head: Int, queryRow: Int, scores: UnsafeMutableBufferPointer<Float>) {
        let offsets = 2 * length - 1
        // Key j has offset j − queryRow, stored at index j − queryRow + length − 1.
        let start = head * offsets + length - 1 - queryRow
        values.withUnsafeBufferPointer { bias in
            for key in 0..<scores.count { scores[key] += bias[start + key] }
        }
    }

    /// Computes transformers' `T5Attention._relative_position_bucket` for a bidirectional encoder.
    /// Keys after the query use the upper half of the buckets. Within a half, distances below a
    /// quarter of the buckets get exact buckets, and longer ones logarithmic buckets up to
    /// `maximumDistance`.
    ///
    /// The logarithm is taken in float32, as PyTorch does, so the truncation at bucket edges agrees.
    static func bucket(_ relative: Int, buckets: Int, maximumDistance: Int) -> Int {
        let half = buckets / 2
        let exact = half / 2
        let base = relative > 0 ? half : 0
        let distance = abs(relative)
        if distance < exact { return base + distance }
        let ratio = logf(Float(distance) / Float(exact)) / Float(logf(Float(maximumDistance) / Float(exact)))
        let large = exact + Int(ratio * Float(half - exact))
        return base + min(large, half - 1)
    }
}

/// A view of a llama.cpp GGUF T5 file under Hugging Face names (`enc.blk.N.attn_q` as
/// `encoder.block.N.layer.0.SelfAttention.q`), following ComfyUI-GGUF's `T5_SD_MAP`.
struct T5GGUFNames: WeightStore {
    let base: any WeightStore

    /// Block tensor suffixes: Hugging Face name after `encoder.block.N.` to GGUF name after `enc.blk.N.`.
    static let blockSuffixes: [String: String] = [
        "layer.0.SelfAttention.q.weight": "attn_q.weight",
        "layer.0.SelfAttention.k.weight": "attn_k.weight",
        "layer.0.SelfAttention.v.weight": "attn_v.weight",
        "layer.0.SelfAttention.o.weight": "attn_o.weight",
        "layer.0.SelfAttention.relative_attention_bias.weight": "attn_rel_b.weight",
        "layer.0.layer_norm.weight": "attn_norm.weight",
        "layer.1.DenseReluDense.wi_0.weight": "ffn_gate.weight",
        "layer.1.DenseReluDense.wi_1.weight": "ffn_up.weight",
        "layer.1.DenseReluDense.wo.weight": "ffn_down.weight",
        "layer.1.layer_norm.weight": "ffn_norm.weight",
    ]
    static let topLevel: [String: String] = [
        "shared.weight": "token_embd.weight",
        "encoder.final_layer_norm.weight": "enc.output_norm.weight",
    ]

    static func isGGUF(_ store: any WeightStore) -> Bool {
        store.contains("token_embd.weight") || store.contains("enc.blk.0.attn_q.weight")
    }

    var origin: String { base.origin }

    var tensorNames: [String] {
        base.tensorNames.compactMap(Self.huggingFaceName)
    }

    func info(_ name: String) -> TensorInfo? {
        guard let ggufName = Self.ggufName(name), var info = base.info(ggufName) else { return nil }
        info.name = name
        return info
    }

    func load(_ name: String) throws -> Tensor {
        guard let ggufName = Self.ggufName(name), base.contains(ggufName) else {
            throw EngineError.missingTensor(name: Self.ggufName(name) ?? name, file: origin)
        }
        return try base.load(ggufName)
    }

    func gatherRows(_ name: String, indices: [Int]) throws -> Tensor {
        guard let ggufName = Self.ggufName(name), base.contains(ggufName) else {
            throw EngineError.missingTensor(name: Self.ggufName(name) ?? name, file: origin)
        }
        return try base.gatherRows(ggufName, indices: indices)
    }

    static func ggufName(_ name: String) -> String? {
        if let mapped = topLevel[name] { return mapped }
        let prefix = "encoder.block."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let block = Int(rest[..<dot]),
            let suffix = blockSuffixes[String(rest[rest.index(after: dot)...])]
        else { return nil }
        return "enc.blk.\(block).\(suffix)"
    }

    static func huggingFaceName(_ name: String) -> String? {
        if let mapped = topLevel.first(where: { $0.value == name })?.key { return mapped }
        let prefix = "enc.blk."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let block = Int(rest[..<dot]),
            let suffix = blockSuffixes.first(where: { $0.value == String(rest[rest.index(after: dot)...]) })?.key
        else { return nil }
        return "encoder.block.\(block).\(suffix)"
    }
}
