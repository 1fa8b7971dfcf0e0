/// Channel and block counts of a FLUX VAE, read from the shapes of its weights so that the real
/// model (128, 256, 512, 512 channels) and tiny test models load through the same code.
struct VAEArchitecture: Sendable, Equatable {
    /// Channels of the image: 3 for RGB.
    var imageChannels: Int
    /// Channels of the latent: 16 for FLUX.
    var latentChannels: Int
    /// Channels of each resolution level, from the highest resolution down.
    var levelChannels: [Int]
    /// ResNet blocks per encoder level (2 for FLUX).
    var encoderBlocks: Int
    /// ResNet blocks per decoder level (3 for FLUX, one more than the encoder).
    var decoderBlocks: Int

    init(imageChannels: Int, latentChannels: Int, levelChannels: [Int], encoderBlocks: Int, decoderBlocks: Int) {
        self.imageChannels = imageChannels
        self.latentChannels = latentChannels
        self.levelChannels = levelChannels
        self.encoderBlocks = encoderBlocks
        self.decoderBlocks = decoderBlocks
    }

    var levels: Int { levelChannels.count }
    var deepestChannels: Int { levelChannels[levels - 1] }

    /// Reads the counts from `weights` and checks that the file contains exactly the tensors they imply.
    init(_ weights: VAEWeights, groups: Int) throws {
        let convIn = try Self.shape(weights, "encoder.conv_in.weight")
        let convOut = try Self.shape(weights, "encoder.conv_out.weight")
        guard weights.levels > 0 else {
            throw EngineError.missingTensor(name: weights.naming.fileName(of: "encoder.down.0.block.0.conv1.weight", levels: 1), file: weights.origin)
        }
        imageChannels = convIn[1]
        latentChannels = convOut[0] / 2
        levelChannels = try (0..<weights.levels).map { try Self.shape(weights, "encoder.down.\($0).block.0.conv1.weight")[0] }
        encoderBlocks = Self.countBlocks(weights, "encoder.down.0.block.")
        decoderBlocks = Self.countBlocks(weights, "decoder.up.0.block.")
        try checkGroups(groups, weights: weights)
        try checkNames(weights)
    }

    private static func shape(_ weights: VAEWeights, _ name: String) throws -> [Int] {
        guard let shape = weights.shape(name), shape.count == 4 else {
            // Report a present tensor of the wrong rank as a shape error, an absent one as missing.
            if let found = weights.shape(name) { throw EngineError.unexpectedShape(name: name, expected: [-1, -1, 3, 3], found: found) }
            throw EngineError.missingTensor(name: weights.naming.fileName(of: name, levels: weights.levels), file: weights.origin)
        }
        return shape
    }

    private static func countBlocks(_ weights: VAEWeights, _ prefix: String) -> Int {
        var count = 0
        while weights.contains("\(prefix)\(count).conv1.weight") { count += 1 }
        return count
    }

    private func checkGroups(_ groups: Int, weights: VAEWeights) throws {
        guard groups >= 1 else { throw EngineError.invalidArgument("VAE group count \(groups) is invalid: it must be at least 1, and FLUX uses 32") }
        for channels in levelChannels where channels % groups != 0 {
            throw EngineError.invalidArgument(
                "VAE in '\(weights.origin)' has a level of \(channels) channels, which does not split into \(groups) norm groups. Pass the group count the model was trained with"
            )
        }
    }

    /// Throws for the first tensor the architecture needs that the file lacks, then for tensors
    /// the file has that the architecture does not use.
    private func checkNames(_ weights: VAEWeights) throws {
        let required = tensorShapes.map(\.name)
        if let missing = required.first(where: { !weights.contains($0) }) {
            throw EngineError.missingTensor(name: weights.naming.fileName(of: missing, levels: levels), file: weights.origin)
        }
        let extra = Set(weights.fileNames.keys).subtracting(required)
        guard extra.isEmpty else {
            let names = extra.compactMap { weights.fileNames[$0] }.sorted()
            throw EngineError.unknownTensors(names: names, file: weights.origin)
        }
    }

    /// The BFL name and shape of every tensor, attention projections as `[C, C]`.
    var tensorShapes: [(name: String, shape: [Int])] {
        layerShapes.flatMap { layer, shape in
            [(layer + ".weight", shape), (layer + ".bias", [shape[0]])]
        }
    }

    /// The BFL name of every layer, without the `.weight`/`.bias` suffix, and its weight's shape.
    private var layerShapes: [(String, [Int])] {
        var layers: [(String, [Int])] = [
            ("encoder.conv_in", [levelChannels[0], imageChannels, 3, 3]),
            ("encoder.norm_out", [deepestChannels]),
            ("encoder.conv_out", [2 * latentChannels, deepestChannels, 3, 3]),
            ("decoder.conv_in", [deepestChannels, latentChannels, 3, 3]),
            ("decoder.norm_out", [levelChannels[0]]),
            ("decoder.conv_out", [imageChannels, levelChannels[0], 3, 3]),
        ]
        for side in ["encoder", "decoder"] {
            for block in ["block_1", "block_2"] {
                layers += resnetLayers("\(side).mid.\(block)", input: deepestChannels, output: deepestChannels)
            }
            layers.append(("\(side).mid.attn_1.norm", [deepestChannels]))
            layers += ["q", "k", "v", "proj_out"].map { ("\(side).mid.attn_1.\($0)", [deepestChannels, deepestChannels]) }
        }
        for level in 0..<levels {
            let channels = levelChannels[level]
            for block in 0..<encoderBlocks {
                layers += resnetLayers("encoder.down.\(level).block.\(block)", input: encoderInput(level, block), output: channels)
            }
            if level != levels - 1 { layers.append(("encoder.down.\(level).downsample.conv", [channels, channels, 3, 3])) }
            for block in 0..<decoderBlocks {
                layers += resnetLayers("decoder.up.\(level).block.\(block)", input: decoderInput(level, block), output: channels)
            }
            if level != 0 { layers.append(("decoder.up.\(level).upsample.conv", [channels, channels, 3, 3])) }
        }
        return layers
    }

    /// Lists the layers of a ResNet block. The 1×1 `nin_shortcut` exists only when the channel count changes.
    private func resnetLayers(_ prefix: String, input: Int, output: Int) -> [(String, [Int])] {
        var layers: [(String, [Int])] = [
            (prefix + ".norm1", [input]),
            (prefix + ".conv1", [output, input, 3, 3]),
            (prefix + ".norm2", [output]),
            (prefix + ".conv2", [output, output, 3, 3]),
        ]
        if input != output { layers.append((prefix + ".nin_shortcut", [output, input, 1, 1])) }
        return layers
    }

    /// Input channels of encoder block `block` of `level`: the previous level's for the first block.
    func encoderInput(_ level: Int, _ block: Int) -> Int {
        block == 0 && level > 0 ? levelChannels[level - 1] : levelChannels[level]
    }

    /// Input channels of decoder block `block` of up level `level`, which runs after level + 1.
    func decoderInput(_ level: Int, _ block: Int) -> Int {
        block == 0 && level < levels - 1 ? levelChannels[level + 1] : levelChannels[level]
    }
}
