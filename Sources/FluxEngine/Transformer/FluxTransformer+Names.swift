extension FluxTransformer {
    /// Lists every tensor name that a BFL-named transformer of `configuration` contains.
    static func expectedNames(_ configuration: FluxTransformerConfiguration) -> Set<String> {
        var linears = ["img_in", "txt_in", "time_in.in_layer", "time_in.out_layer", "vector_in.in_layer", "vector_in.out_layer"]
        if configuration.hasGuidanceEmbedding { linears += ["guidance_in.in_layer", "guidance_in.out_layer"] }
        var scales: [String] = []
        for block in 0..<configuration.doubleBlocks {
            let prefix = "double_blocks.\(block)."
            for stream in ["img", "txt"] {
                linears += ["mod.lin", "attn.qkv", "attn.proj", "mlp.0", "mlp.2"].map { prefix + stream + "_" + $0 }
                scales += ["query_norm", "key_norm"].map { "\(prefix)\(stream)_attn.norm.\($0).scale" }
            }
        }
        for block in 0..<configuration.singleBlocks {
            let prefix = "single_blocks.\(block)."
            linears += ["modulation.lin", "linear1", "linear2"].map { prefix + $0 }
            scales += ["query_norm", "key_norm"].map { "\(prefix)norm.\($0).scale" }
        }
        linears += ["final_layer.adaLN_modulation.1", "final_layer.linear"]
        return Set(linears.flatMap { [$0 + ".weight", $0 + ".bias"] } + scales)
    }

    /// Rejects a store with missing tensors or tensors this model does not use.
    static func checkNames(_ store: any WeightStore, configuration: FluxTransformerConfiguration) throws {
        let expected = expectedNames(configuration)
        let present = Set(store.tensorNames)
        if let missing = expected.subtracting(present).sorted().first {
            throw EngineError.missingTensor(name: missing, file: store.origin)
        }
        let unknown = present.subtracting(expected).sorted()
        if !unknown.isEmpty {
            throw EngineError.unknownTensors(names: unknown, file: store.origin)
        }
    }
}
