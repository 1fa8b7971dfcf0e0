/// A diffusers `FluxTransformer2DModel` state dict viewed under the BFL / ComfyUI names.
///
/// The map is the inverse of diffusers' `convert_flux_transformer_checkpoint_to_diffusers`
/// (diffusers 0.42.1): separate q, k, v projections are concatenated into the fused `qkv` and
/// single-block `linear1` (q | k | v | proj_mlp), and `norm_out.linear`, which diffusers stores as
/// (scale, shift), has its halves swapped back to BFL's (shift, scale). Tensors are combined when
/// loaded, so nothing is held beyond the tensor asked for.
public struct DiffusersFluxWeights: WeightStore {
    enum Source: Sendable {
        case tensor(String)
        /// Concatenated along the first dimension.
        case concatenation([String])
        /// The two halves of the first dimension swapped.
        case swappedHalves(String)
    }

    public let diffusers: any WeightStore
    private let sources: [String: Source]

    public init(diffusers: any WeightStore) throws {
        self.diffusers = diffusers
        var sources: [String: Source] = [:]
        for (bfl, source) in Self.linearMap(diffusers) {
            for suffix in [".weight", ".bias"] {
                switch source {
                case .tensor(let name): sources[bfl + suffix] = .tensor(name + suffix)
                case .concatenation(let names): sources[bfl + suffix] = .concatenation(names.map { $0 + suffix })
                case .swappedHalves(let name): sources[bfl + suffix] = .swappedHalves(name + suffix)
                }
            }
        }
        for (bfl, name) in Self.scaleMap(diffusers) { sources[bfl] = .tensor(name) }
        let used = Set(sources.values.flatMap { source -> [String] in
            switch source {
            case .tensor(let name), .swappedHalves(let name): return [name]
            case .concatenation(let names): return names
            }
        })
        let unknown = diffusers.tensorNames.filter { !used.contains($0) }
        if !unknown.isEmpty { throw EngineError.unknownTensors(names: unknown, file: diffusers.origin) }
        self.sources = sources.filter { _, source in Self.isPresent(source, in: diffusers) }
    }

    public var origin: String { diffusers.origin }
    public var tensorNames: [String] { sources.keys.sorted() }

    public func info(_ name: String) -> TensorInfo? {
        guard let source = sources[name] else { return nil }
        switch source {
        case .tensor(let original), .swappedHalves(let original):
            return diffusers.info(original).map { TensorInfo(name: name, shape: $0.shape, storedType: $0.storedType) }
        case .concatenation(let originals):
            let parts = originals.compactMap { diffusers.info($0) }
            guard var shape = parts.first?.shape, parts.count == originals.count else { return nil }
            shape[0] = parts.reduce(0) { $0 + ($1.shape.first ?? 0) }
            return TensorInfo(name: name, shape: shape, storedType: parts[0].storedType)
        }
    }

    public func load(_ name: String) throws -> Tensor {
        guard let source = sources[name] else { throw EngineError.missingTensor(name: name, file: origin) }
        switch source {
        case .tensor(let original):
            return try diffusers.load(original)
        case .swappedHalves(let original):
            let tensor = try diffusers.load(original)
            let half = tensor.count / 2
            let storage = Array(tensor.storage[half...]) + Array(tensor.storage[..<half])
            return Tensor(shape: tensor.shape, storage: storage)
        case .concatenation(let originals):
            let parts = try originals.map { try diffusers.load($0) }
            var shape = parts[0].shape
            shape[0] = parts.reduce(0) { $0 + ($1.shape.first ?? 0) }
            return Tensor(shape: shape, storage: parts.flatMap(\.storage))
        }
    }

    private static func isPresent(_ source: Source, in store: any WeightStore) -> Bool {
        switch source {
        case .tensor(let name), .swappedHalves(let name): return store.contains(name)
        case .concatenation(let names): return names.allSatisfy(store.contains)
        }
    }

    private static func count(_ store: any WeightStore, _ prefix: String) -> Int {
        var count = 0
        while store.contains("\(prefix)\(count).norm\(prefix.hasPrefix("single") ? "" : "1").linear.weight") { count += 1 }
        return count
    }

    /// BFL Linear prefixes and their diffusers sources (each with `.weight` and `.bias`).
    static func linearMap(_ store: any WeightStore) -> [String: Source] {
        var map: [String: Source] = [
            "img_in": .tensor("x_embedder"),
            "txt_in": .tensor("context_embedder"),
            "final_layer.adaLN_modulation.1": .swappedHalves("norm_out.linear"),
            "final_layer.linear": .tensor("proj_out"),
        ]
        for (bfl, diffusers) in [("time_in", "timestep_embedder"), ("guidance_in", "guidance_embedder"), ("vector_in", "text_embedder")] {
            map[bfl + ".in_layer"] = .tensor("time_text_embed.\(diffusers).linear_1")
            map[bfl + ".out_layer"] = .tensor("time_text_embed.\(diffusers).linear_2")
        }
        for block in 0..<count(store, "transformer_blocks.") {
            let bfl = "double_blocks.\(block).", d = "transformer_blocks.\(block)."
            map[bfl + "img_mod.lin"] = .tensor(d + "norm1.linear")
            map[bfl + "txt_mod.lin"] = .tensor(d + "norm1_context.linear")
            map[bfl + "img_attn.qkv"] = .concatenation(["to_q", "to_k", "to_v"].map { d + "attn." + $0 })
            map[bfl + "txt_attn.qkv"] = .concatenation(["add_q_proj", "add_k_proj", "add_v_proj"].map { d + "attn." + $0 })
            map[bfl + "img_attn.proj"] = .tensor(d + "attn.to_out.0")
            map[bfl + "txt_attn.proj"] = .tensor(d + "attn.to_add_out")
            map[bfl + "img_mlp.0"] = .tensor(d + "ff.net.0.proj")
            map[bfl + "img_mlp.2"] = .tensor(d + "ff.net.2")
            map[bfl + "txt_mlp.0"] = .tensor(d + "ff_context.net.0.proj")
            map[bfl + "txt_mlp.2"] = .tensor(d + "ff_context.net.2")
        }
        for block in 0..<count(store, "single_transformer_blocks.") {
            let bfl = "single_blocks.\(block).", d = "single_transformer_blocks.\(block)."
            map[bfl + "modulation.lin"] = .tensor(d + "norm.linear")
            map[bfl + "linear1"] = .concatenation(["attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp"].map { d + $0 })
            map[bfl + "linear2"] = .tensor(d + "proj_out")
        }
        return map
    }

    /// BFL QK-norm scale names and their diffusers sources.
    static func scaleMap(_ store: any WeightStore) -> [String: String] {
        var map: [String: String] = [:]
        for block in 0..<count(store, "transformer_blocks.") {
            let bfl = "double_blocks.\(block).", d = "transformer_blocks.\(block).attn."
            map[bfl + "img_attn.norm.query_norm.scale"] = d + "norm_q.weight"
            map[bfl + "img_attn.norm.key_norm.scale"] = d + "norm_k.weight"
            map[bfl + "txt_attn.norm.query_norm.scale"] = d + "norm_added_q.weight"
            map[bfl + "txt_attn.norm.key_norm.scale"] = d + "norm_added_k.weight"
        }
        for block in 0..<count(store, "single_transformer_blocks.") {
            let bfl = "single_blocks.\(block).norm.", d = "single_transformer_blocks.\(block).attn."
            map[bfl + "query_norm.scale"] = d + "norm_q.weight"
            map[bfl + "key_norm.scale"] = d + "norm_k.weight"
        }
        return map
    }
}
