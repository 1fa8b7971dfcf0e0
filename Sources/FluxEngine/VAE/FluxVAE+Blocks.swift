internal import CFluxKernels

/// The encoder and decoder passes, level by level.
extension FluxVAE {
    func runEncoder(_ image: Tensor, observer: Observer?) throws -> Tensor {
        let arch = architecture
        var h = try conv("encoder.conv_in", image, input: arch.imageChannels, output: arch.levelChannels[0])
        observer?("encoder.conv_in", h)
        for level in 0..<arch.levels {
            for block in 0..<arch.encoderBlocks {
                h = try resnet("encoder.down.\(level).block.\(block)", h, output: arch.levelChannels[level])
            }
            if level != arch.levels - 1 { h = try downsample("encoder.down.\(level).downsample.conv", h) }
            observer?("encoder.down.\(level)", h)
        }
        h = try middle("encoder.mid", h)
        observer?("encoder.mid", h)
        try normalize("encoder.norm_out", &h, silu: true)
        h = try conv("encoder.conv_out", h, input: arch.deepestChannels, output: 2 * arch.latentChannels)
        observer?("encoder.out", h)
        return h
    }

    func runDecoder(_ latents: Tensor, observer: Observer?) throws -> Tensor {
        let arch = architecture
        var h = try conv("decoder.conv_in", latents, input: arch.latentChannels, output: arch.deepestChannels)
        observer?("decoder.conv_in", h)
        h = try middle("decoder.mid", h)
        observer?("decoder.mid", h)
        for level in (0..<arch.levels).reversed() {
            for block in 0..<arch.decoderBlocks {
                h = try resnet("decoder.up.\(level).block.\(block)", h, output: arch.levelChannels[level])
            }
            if level != 0 { h = try conv("decoder.up.\(level).upsample.conv", h, upsampling: 2) }
            observer?("decoder.up.\(level)", h)
        }
        try normalize("decoder.norm_out", &h, silu: true)
        h = try conv("decoder.conv_out", h, input: arch.levelChannels[0], output: arch.imageChannels)
        observer?("decoder.out", h)
        return h
    }

    /// ResNet block, attention block, ResNet block at the deepest level.
    private func middle(_ prefix: String, _ x: Tensor) throws -> Tensor {
        let channels = architecture.deepestChannels
        var h = try resnet(prefix + ".block_1", x, output: channels)
        h = try attention(prefix + ".attn_1", h)
        return try resnet(prefix + ".block_2", h, output: channels)
    }

    /// GroupNorm, SiLU, conv 3×3, GroupNorm, SiLU, conv 3×3, plus the input (through a 1×1
    /// `nin_shortcut` when the channel count changes).
    private func resnet(_ prefix: String, _ x: Tensor, output: Int) throws -> Tensor {
        let input = x.shape[0]
        var h = x
        try normalize(prefix + ".norm1", &h, silu: true)
        h = try conv(prefix + ".conv1", h, input: input, output: output)
        try normalize(prefix + ".norm2", &h, silu: true)
        h = try conv(prefix + ".conv2", h, input: output, output: output)
        let skip = input == output ? x : try conv(prefix + ".nin_shortcut", x, input: input, output: output, kernel: 1)
        Self.addInPlace(&h, skip)
        return h
    }

    /// Pads right and bottom by one pixel, then a 3×3 convolution with stride 2, halving the size.
    private func downsample(_ prefix: String, _ x: Tensor) throws -> Tensor {
        let channels = x.shape[0]
        let layer = try Conv2d(
            weights, prefix, inputChannels: channels, outputChannels: channels, kernel: 3, stride: 2,
            padding: Conv2d.Padding(top: 0, bottom: 1, left: 0, right: 1)
        )
        return layer(x)
    }

    /// A same-size convolution (padding kernel/2), optionally reading the input upsampled by 2.
    private func conv(
        _ prefix: String,
        _ x: Tensor,
        input: Int? = nil,
        output: Int? = nil,
        kernel: Int = 3,
        upsampling: Int = 1
    ) throws -> Tensor {
        let layer = try Conv2d(
            weights, prefix, inputChannels: input ?? x.shape[0], outputChannels: output ?? x.shape[0], kernel: kernel,
            padding: .uniform(kernel / 2)
        )
        return layer(x, upsampling: upsampling)
    }

    func normalize(_ prefix: String, _ x: inout Tensor, silu: Bool) throws {
        let norm = try GroupNorm(weights, prefix, channels: x.shape[0], groups: groups, epsilon: 1e-6)
        norm.apply(to: &x, silu: silu)
    }

    static func addInPlace(_ values: inout Tensor, _ other: Tensor) {
        precondition(values.shape == other.shape, "shapes \(values.shape) and \(other.shape) differ")
        values.storage.withUnsafeMutableBufferPointer { out in
            other.storage.withUnsafeBufferPointer { add in
                guard let target = out.baseAddress, let source = add.baseAddress else { return }
                parallelChunks(out.count, minimumChunk: 1 << 16) { range in
                    fk_add(target + range.lowerBound, source + range.lowerBound, range.count)
                }
            }
        }
    }
}
