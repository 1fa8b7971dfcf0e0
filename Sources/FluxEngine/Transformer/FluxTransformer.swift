/// The sizes of a Flux transformer, read from the weight shapes.
public struct FluxTransformerConfiguration: Sendable, Equatable {
    public var hiddenSize: Int
    public var heads: Int
    public var headDimension: Int
    public var doubleBlocks: Int
    public var singleBlocks: Int
    /// Features per image token: 16 latent channels × a 2×2 patch = 64.
    public var imageFeatures: Int
    /// The text embedding width (4096 for T5-XXL).
    public var contextFeatures: Int
    /// The pooled vector width (768 for CLIP-L).
    public var pooledFeatures: Int
    public var mlpHiddenSize: Int
    /// RoPE dimensions per id axis; they sum to `headDimension`.
    public var axesDimensions: [Int]
    public var ropeTheta: Double
    public var hasGuidanceEmbedding: Bool
}

/// The FLUX.1 rectified-flow transformer (19 double-stream and 38 single-stream blocks in
/// FLUX.1 [dev]), running on float32 with OpenBLAS.
///
/// The weights stay in their store, usually a memory-mapped file. Each block loads its tensors when
/// it runs and drops them after, so the float32 working set is one block plus activations.
public struct FluxTransformer: Sendable {
    /// One finished block, reported to the observer for stage-by-stage checks.
    public enum Block: Sendable, Equatable {
        case double(Int)
        case single(Int)
    }

    /// Called after every block with the text and image token states (rows: tokens).
    public typealias BlockObserver = @Sendable (_ block: Block, _ text: Tensor, _ image: Tensor) -> Void

    public let configuration: FluxTransformerConfiguration
    /// The weights under the BFL / ComfyUI names (a diffusers file is viewed through a name map).
    public let weights: any WeightStore
    public var blockObserver: BlockObserver?

    /// The RoPE axes of FLUX.1, summing to its head dimension of 128.
    public static let defaultAxesDimensions = [16, 56, 56]

    /// Reads the configuration from `weights`, which may use the BFL / ComfyUI names (optionally under
    /// `model.diffusion_model.`) or the diffusers `FluxTransformer2DModel` names.
    ///
    /// - Parameter axesDimensions: RoPE dimensions per id axis; a model with another head dimension
    ///   needs axes that sum to it.
    public init(weights: any WeightStore, axesDimensions: [Int] = FluxTransformer.defaultAxesDimensions) throws {
        let store = try Self.bflView(of: weights)
        configuration = try Self.readConfiguration(store, axesDimensions: axesDimensions)
        try Self.checkNames(store, configuration: configuration)
        self.weights = store
    }

    /// Presents `weights` under the BFL names, whichever naming the file uses.
    static func bflView(of weights: any WeightStore) throws -> any WeightStore {
        for prefix in ["model.diffusion_model.", "diffusion_model.", ""] {
            let view: any WeightStore = prefix.isEmpty ? weights : PrefixedWeightStore(base: weights, prefix: prefix)
            if view.contains("img_in.weight") { return view }
        }
        if weights.contains("x_embedder.weight") { return try DiffusersFluxWeights(diffusers: weights) }
        throw EngineError.missingTensor(name: "img_in.weight", file: weights.origin)
    }

    private static func readConfiguration(
        _ store: any WeightStore,
        axesDimensions: [Int]
    ) throws -> FluxTransformerConfiguration {
        let imageIn = try shape(store, "img_in.weight", rank: 2)
        let textIn = try shape(store, "txt_in.weight", rank: 2)
        let vectorIn = try shape(store, "vector_in.in_layer.weight", rank: 2)
        let doubleBlocks = blockCount(store, prefix: "double_blocks.")
        let singleBlocks = blockCount(store, prefix: "single_blocks.")
        let normName = doubleBlocks > 0 ? "double_blocks.0.img_attn.norm.query_norm.scale" : "single_blocks.0.norm.query_norm.scale"
        let headDimension = try shape(store, normName, rank: 1)[0]

        let hiddenSize = imageIn[0]
        guard headDimension > 0, hiddenSize % headDimension == 0 else {
            throw EngineError.unexpectedShape(name: normName, expected: [hiddenSize], found: [headDimension])
        }
        let mlpName = doubleBlocks > 0 ? "double_blocks.0.img_mlp.0.weight" : "single_blocks.0.linear1.weight"
        var mlpHiddenSize = try shape(store, mlpName, rank: 2)[0]
        if doubleBlocks == 0 { mlpHiddenSize -= 3 * hiddenSize }

        guard axesDimensions.reduce(0, +) == headDimension, axesDimensions.allSatisfy({ $0 > 0 && $0 % 2 == 0 }) else {
            throw EngineError.invalidArgument(
                "RoPE axes \(axesDimensions) must be even and sum to the head dimension \(headDimension) read from '\(normName)'; pass matching axes"
            )
        }
        return FluxTransformerConfiguration(
            hiddenSize: hiddenSize,
            heads: hiddenSize / headDimension,
            headDimension: headDimension,
            doubleBlocks: doubleBlocks,
            singleBlocks: singleBlocks,
            imageFeatures: imageIn[1],
            contextFeatures: textIn[1],
            pooledFeatures: vectorIn[1],
            mlpHiddenSize: mlpHiddenSize,
            axesDimensions: axesDimensions,
            ropeTheta: 10_000,
            hasGuidanceEmbedding: store.contains("guidance_in.in_layer.weight")
        )
    }

    private static func shape(_ store: any WeightStore, _ name: String, rank: Int) throws -> [Int] {
        guard let info = store.info(name) else { throw EngineError.missingTensor(name: name, file: store.origin) }
        guard info.shape.count == rank else {
            throw EngineError.unexpectedShape(name: name, expected: [Int](repeating: -1, count: rank), found: info.shape)
        }
        return info.shape
    }

    private static func blockCount(_ store: any WeightStore, prefix: String) -> Int {
        var count = 0
        while store.contains("\(prefix)\(count).\(prefix.hasPrefix("double") ? "img_mod" : "modulation").lin.weight") {
            count += 1
        }
        return count
    }
}
