/// The two naming schemes of the FLUX VAE weights and the table that maps one to the other.
///
/// BFL's `ae.safetensors` (the original `flux` repository's `AutoEncoder`) and diffusers'
/// `AutoencoderKL` hold the same tensors under different names. Diffusers numbers the decoder's
/// up blocks from the lowest resolution, BFL from the highest, so `up_blocks.0` is BFL `up.{L−1}`
/// for L levels. The engine works with BFL names throughout.
enum VAENaming: Sendable, Equatable {
    case bfl
    case diffusers

    /// Layer name pairs (diffusers, BFL) without the `.weight`/`.bias` suffix. `{i}` is a level and
    /// `{j}` a block number, both copied unchanged. `{u}` is a decoder up level, which the two
    /// schemes count from opposite ends.
    static let table: [(diffusers: String, bfl: String)] = {
        var rows: [(String, String)] = []
        let resnetLayers = [("norm1", "norm1"), ("conv1", "conv1"), ("norm2", "norm2"), ("conv2", "conv2"),
                            ("conv_shortcut", "nin_shortcut")]
        for (diffusers, bfl) in resnetLayers {
            rows.append(("encoder.down_blocks.{i}.resnets.{j}.\(diffusers)", "encoder.down.{i}.block.{j}.\(bfl)"))
            rows.append(("decoder.up_blocks.{u}.resnets.{j}.\(diffusers)", "decoder.up.{u}.block.{j}.\(bfl)"))
            for side in ["encoder", "decoder"] {
                rows.append(("\(side).mid_block.resnets.0.\(diffusers)", "\(side).mid.block_1.\(bfl)"))
                rows.append(("\(side).mid_block.resnets.1.\(diffusers)", "\(side).mid.block_2.\(bfl)"))
            }
        }
        rows.append(("encoder.down_blocks.{i}.downsamplers.0.conv", "encoder.down.{i}.downsample.conv"))
        rows.append(("decoder.up_blocks.{u}.upsamplers.0.conv", "decoder.up.{u}.upsample.conv"))
        let attentionLayers = [("group_norm", "norm"), ("to_q", "q"), ("to_k", "k"), ("to_v", "v"), ("to_out.0", "proj_out")]
        for side in ["encoder", "decoder"] {
            for (diffusers, bfl) in attentionLayers {
                rows.append(("\(side).mid_block.attentions.0.\(diffusers)", "\(side).mid.attn_1.\(bfl)"))
            }
            rows.append(("\(side).conv_in", "\(side).conv_in"))
            rows.append(("\(side).conv_norm_out", "\(side).norm_out"))
            rows.append(("\(side).conv_out", "\(side).conv_out"))
        }
        return rows
    }()

    /// Guesses the scheme from the names: diffusers names contain `_blocks.` or `mid_block.`.
    static func detect(_ names: [String]) -> VAENaming {
        names.contains { $0.contains("down_blocks.") || $0.contains("up_blocks.") || $0.contains("mid_block.") }
            ? .diffusers : .bfl
    }

    /// Returns the BFL name of `name`, or nil when the table has no row for it. A BFL name maps to itself.
    func bflName(of name: String, levels: Int) -> String? {
        switch self {
        case .bfl: return Self.translate(name, from: \.bfl, to: \.bfl, levels: levels).map { _ in name }
        case .diffusers: return Self.translate(name, from: \.diffusers, to: \.bfl, levels: levels)
        }
    }

    /// Returns the name this scheme gives the tensor BFL calls `bflName`.
    func fileName(of bflName: String, levels: Int) -> String {
        switch self {
        case .bfl: return bflName
        case .diffusers: return Self.translate(bflName, from: \.bfl, to: \.diffusers, levels: levels) ?? bflName
        }
    }

    private static func translate(
        _ name: String,
        from source: KeyPath<(diffusers: String, bfl: String), String>,
        to target: KeyPath<(diffusers: String, bfl: String), String>,
        levels: Int
    ) -> String? {
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.popLast(), suffix == "weight" || suffix == "bias" else { return nil }
        for row in table {
            guard let bindings = match(parts, pattern: row[keyPath: source]) else { continue }
            return substitute(row[keyPath: target], bindings: bindings, levels: levels) + "." + suffix
        }
        return nil
    }

    /// The placeholder values when `parts` matches `pattern`, nil otherwise.
    private static func match(_ parts: [String], pattern: String) -> [String: Int]? {
        let patternParts = pattern.split(separator: ".").map(String.init)
        guard patternParts.count == parts.count else { return nil }
        var bindings: [String: Int] = [:]
        for (part, expected) in zip(parts, patternParts) {
            if expected.hasPrefix("{") {
                guard let value = Int(part), value >= 0, String(value) == part else { return nil }
                bindings[expected] = value
            } else if part != expected {
                return nil
            }
        }
        return bindings
    }

    private static func substitute(_ pattern: String, bindings: [String: Int], levels: Int) -> String {
        pattern.split(separator: ".").map { part -> String in
            let key = String(part)
            guard let value = bindings[key] else { return key }
            return key == "{u}" ? String(levels - 1 - value) : String(value)
        }.joined(separator: ".")
    }
}

/// A VAE weights file seen through BFL names, with the attention projections as `[C, C]` matrices
/// whether the file stores them as BFL's 1×1 convolution kernels or diffusers' Linear weights.
struct VAEWeights {
    let base: any WeightStore
    let naming: VAENaming
    let levels: Int
    /// File name of every tensor, by BFL name.
    let fileNames: [String: String]

    /// Maps every name of `base` to its BFL name. Throws `EngineError.unknownTensors` for names the
    /// table has no row for.
    init(_ base: any WeightStore) throws {
        let names = base.tensorNames
        let naming = VAENaming.detect(names)
        let levels = Self.countLevels(names, naming: naming)
        var fileNames: [String: String] = [:]
        var unknown: [String] = []
        for name in names {
            if let bfl = naming.bflName(of: name, levels: levels) { fileNames[bfl] = name } else { unknown.append(name) }
        }
        guard unknown.isEmpty else { throw EngineError.unknownTensors(names: unknown, file: base.origin) }
        self.base = base
        self.naming = naming
        self.levels = levels
        self.fileNames = fileNames
    }

    /// Counts the encoder levels from the names of their first block's first convolution.
    private static func countLevels(_ names: [String], naming: VAENaming) -> Int {
        func firstConvolution(_ level: Int) -> String {
            naming == .bfl ? "encoder.down.\(level).block.0.conv1.weight" : "encoder.down_blocks.\(level).resnets.0.conv1.weight"
        }
        let present = Set(names)
        var levels = 0
        while present.contains(firstConvolution(levels)) { levels += 1 }
        return levels
    }

    func shape(_ bflName: String) -> [Int]? {
        fileNames[bflName].flatMap { base.info($0)?.shape }
    }
}

extension VAEWeights: WeightStore {
    var origin: String { base.origin }
    var tensorNames: [String] { fileNames.keys.sorted() }

    func info(_ name: String) -> TensorInfo? {
        guard let fileName = fileNames[name], var info = base.info(fileName) else { return nil }
        info.name = name
        return info
    }

    /// Loads a tensor by BFL name. A missing tensor is reported under the name the file's scheme uses.
    func load(_ name: String) throws -> Tensor {
        guard let fileName = fileNames[name] else {
            throw EngineError.missingTensor(name: naming.fileName(of: name, levels: levels), file: base.origin)
        }
        let tensor = try base.load(fileName)
        let isProjection = name.contains(".attn_1.") && !name.contains(".norm.") && name.hasSuffix(".weight")
        if isProjection && tensor.rank == 4 && tensor.shape[2] == 1 && tensor.shape[3] == 1 {
            return tensor.reshaped([tensor.shape[0], tensor.shape[1]])
        }
        return tensor
    }
}
