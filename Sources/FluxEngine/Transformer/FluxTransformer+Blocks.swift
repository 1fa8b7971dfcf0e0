import Foundation

extension FluxTransformer {
    /// Runs one double-stream block: separate weights for the text and image streams, joint attention.
    func doubleBlock(_ index: Int, image: inout Tensor, text: inout Tensor, vector: Tensor, rope: RotaryEmbedding) throws {
        let prefix = "double_blocks.\(index)."
        let imageMod = try modulation(prefix + "img_mod.lin", vector: vector, count: 6)
        let textMod = try modulation(prefix + "txt_mod.lin", vector: vector, count: 6)
        let hidden = configuration.hiddenSize

        let imageQKV = try Linear(weights, prefix + "img_attn.qkv")(Self.modulate(image, shift: imageMod[0], scale: imageMod[1]))
        let textQKV = try Linear(weights, prefix + "txt_attn.qkv")(Self.modulate(text, shift: textMod[0], scale: textMod[1]))
        let imageQ = try qkNorm(imageQKV.columns(0..<hidden), prefix + "img_attn.norm.query_norm.scale")
        let imageK = try qkNorm(imageQKV.columns(hidden..<(2 * hidden)), prefix + "img_attn.norm.key_norm.scale")
        let textQ = try qkNorm(textQKV.columns(0..<hidden), prefix + "txt_attn.norm.query_norm.scale")
        let textK = try qkNorm(textQKV.columns(hidden..<(2 * hidden)), prefix + "txt_attn.norm.key_norm.scale")
        let v = Tensor.concatenatingRows([textQKV.columns((2 * hidden)..<(3 * hidden)), imageQKV.columns((2 * hidden)..<(3 * hidden))])
        let attention = attend(
            q: Tensor.concatenatingRows([textQ, imageQ]), k: Tensor.concatenatingRows([textK, imageK]), v: v,
            textCount: text.rowCount, rope: rope
        )
        let textCount = text.rowCount
        let textAttention = attention.rows(0..<textCount)
        let imageAttention = attention.rows(textCount..<attention.rowCount)

        Self.addGated(&image, gate: imageMod[2], try Linear(weights, prefix + "img_attn.proj")(imageAttention))
        Self.addGated(&text, gate: textMod[2], try Linear(weights, prefix + "txt_attn.proj")(textAttention))
        let imageMLP = try mlp(prefix + "img_mlp", Self.modulate(image, shift: imageMod[3], scale: imageMod[4]))
        Self.addGated(&image, gate: imageMod[5], imageMLP)
        let textMLP = try mlp(prefix + "txt_mlp", Self.modulate(text, shift: textMod[3], scale: textMod[4]))
        Self.addGated(&text, gate: textMod[5], textMLP)
    }

    /// Runs one single-stream block over [text; image]. linear1 is a fused qkv and MLP input
    /// projection, and linear2 a fused output projection of [attention, GELU(mlp)].
    func singleBlock(_ index: Int, tokens: inout Tensor, textCount: Int, vector: Tensor, rope: RotaryEmbedding) throws {
        let prefix = "single_blocks.\(index)."
        let mod = try modulation(prefix + "modulation.lin", vector: vector, count: 3)
        let hidden = configuration.hiddenSize
        let projected = try Linear(weights, prefix + "linear1")(Self.modulate(tokens, shift: mod[0], scale: mod[1]))
        let q = try qkNorm(projected.columns(0..<hidden), prefix + "norm.query_norm.scale")
        let k = try qkNorm(projected.columns(hidden..<(2 * hidden)), prefix + "norm.key_norm.scale")
        let v = projected.columns((2 * hidden)..<(3 * hidden))
        let attention = attend(q: q, k: k, v: v, textCount: textCount, rope: rope)
        let activated = Ops.geluTanh(projected.columns((3 * hidden)..<projected.rowLength))
        let output = try Linear(weights, prefix + "linear2")(Tensor.concatenatingColumns([attention, activated]))
        Self.addGated(&tokens, gate: mod[2], output)
    }

    /// Joint attention over [text; image] rows with RoPE on the image rows (text ids are zero, so
    /// their rotation is the identity).
    private func attend(q: Tensor, k: Tensor, v: Tensor, textCount: Int, rope: RotaryEmbedding) -> Tensor {
        var q = q
        var k = k
        let heads = configuration.heads
        rope.apply(to: &q, firstRow: textCount, heads: heads)
        rope.apply(to: &k, firstRow: textCount, heads: heads)
        let scale = 1 / Float(configuration.headDimension).squareRoot()
        return Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads, scale: scale)
    }

    /// RMSNorm over each head's slice with a learned scale, eps 1e-6.
    private func qkNorm(_ x: Tensor, _ scaleName: String) throws -> Tensor {
        let dimension = configuration.headDimension
        let scale = try weights.load(scaleName, shape: [dimension])
        let perHead = x.reshaped([x.count / dimension, dimension])
        return Ops.rmsNorm(perHead, scale: scale, epsilon: 1e-6).reshaped(x.shape)
    }

    /// Linear, GELU (tanh), Linear.
    private func mlp(_ prefix: String, _ x: Tensor) throws -> Tensor {
        let hidden = Ops.geluTanh(try Linear(weights, prefix + ".0")(x))
        return try Linear(weights, prefix + ".2")(hidden)
    }

    /// Linear(SiLU(vec)) split into `count` vectors of the hidden size.
    func modulation(_ prefix: String, vector: Tensor, count: Int) throws -> [[Float]] {
        let out = try Linear(weights, prefix)(Ops.silu(vector))
        let width = configuration.hiddenSize
        guard out.count == count * width else {
            throw EngineError.unexpectedShape(name: prefix + ".weight", expected: [count * width, width], found: [out.count, width])
        }
        return (0..<count).map { Array(out.storage[($0 * width)..<(($0 + 1) * width)]) }
    }

    /// (1 + scale)·LayerNorm(x) + shift per row, LayerNorm without affine terms and eps 1e-6.
    static func modulate(_ x: Tensor, shift: [Float], scale: [Float]) -> Tensor {
        var out = Ops.layerNorm(x, epsilon: 1e-6)
        let width = x.rowLength
        out.storage.withUnsafeMutableBufferPointer { values in
            parallelChunks(x.rowCount, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                for row in range {
                    let base = row * width
                    for column in 0..<width {
                        values[base + column] = values[base + column] * (1 + scale[column]) + shift[column]
                    }
                }
            }
        }
        return out
    }

    /// x += gate ⊙ y per row.
    static func addGated(_ x: inout Tensor, gate: [Float], _ y: Tensor) {
        precondition(x.shape == y.shape, "shapes \(x.shape) and \(y.shape) differ")
        let width = x.rowLength
        let rows = x.rowCount
        y.storage.withUnsafeBufferPointer { update in
            x.storage.withUnsafeMutableBufferPointer { values in
                parallelChunks(rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                    for row in range {
                        let base = row * width
                        for column in 0..<width { values[base + column] += gate[column] * update[base + column] }
                    }
                }
            }
        }
    }
}
