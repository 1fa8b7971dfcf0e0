import Foundation
internal import CFluxKernels

extension FluxTransformer {
    /// Runs one double-stream block: separate weights for the text and image streams, joint attention.
    ///
    /// Both streams' qkv projections write into one [text + image, 3·hidden] matrix, so q, k and v
    /// of the joint sequence are its column ranges: they are normalised, rotated and attended in
    /// place, without copies.
    func doubleBlock(_ index: Int, image: inout Tensor, text: inout Tensor, vector: Tensor, rope: RotaryEmbedding) throws {
        let prefix = "double_blocks.\(index)."
        let imageMod = try modulation(prefix + "img_mod.lin", vector: vector, count: 6)
        let textMod = try modulation(prefix + "txt_mod.lin", vector: vector, count: 6)
        let hidden = configuration.hiddenSize
        let textCount = text.rowCount
        let total = textCount + image.rowCount
        let textNorms = try headNorms(prefix + "txt_attn.norm.")
        let imageNorms = try headNorms(prefix + "img_attn.norm.")

        var qkv = Tensor.uninitialized(shape: [total, 3 * hidden])
        try qkv.withMatrix { joint in
            try project(Self.modulate(text, shift: textMod[0], scale: textMod[1]), prefix + "txt_attn.qkv", into: joint.rows(0..<textCount))
            try project(Self.modulate(image, shift: imageMod[0], scale: imageMod[1]), prefix + "img_attn.qkv", into: joint.rows(textCount..<total))
        }
        let attention = attend(qkv: &qkv, textCount: textCount, textNorms: textNorms, imageNorms: imageNorms, rope: rope)

        let imageProjection = try Linear(weights, prefix + "img_attn.proj")
        let textProjection = try Linear(weights, prefix + "txt_attn.proj")
        var imageUpdate = Tensor.uninitialized(shape: [image.rowCount, hidden])
        var textUpdate = Tensor.uninitialized(shape: [textCount, hidden])
        attention.withReadOnlyMatrix { attention in
            imageUpdate.withMatrix { imageProjection.apply(attention.rows(textCount..<total), into: $0) }
            textUpdate.withMatrix { textProjection.apply(attention.rows(0..<textCount), into: $0) }
        }
        Self.addGated(&image, gate: imageMod[2], imageUpdate)
        Self.addGated(&text, gate: textMod[2], textUpdate)
        let imageMLP = try mlp(prefix + "img_mlp", Self.modulate(image, shift: imageMod[3], scale: imageMod[4]))
        Self.addGated(&image, gate: imageMod[5], imageMLP)
        let textMLP = try mlp(prefix + "txt_mlp", Self.modulate(text, shift: textMod[3], scale: textMod[4]))
        Self.addGated(&text, gate: textMod[5], textMLP)
    }

    /// Runs one single-stream block over [text; image]. linear1 is a fused qkv and MLP input
    /// projection, and linear2 a fused output projection of [attention, GELU(mlp)].
    ///
    /// linear2 runs as two products that add into one output, reading the attention and the MLP
    /// columns where they are instead of joining them side by side first.
    func singleBlock(_ index: Int, tokens: inout Tensor, textCount: Int, vector: Tensor, rope: RotaryEmbedding) throws {
        let prefix = "single_blocks.\(index)."
        let mod = try modulation(prefix + "modulation.lin", vector: vector, count: 3)
        let hidden = configuration.hiddenSize
        let norms = try headNorms(prefix + "norm.")
        var projected = try Linear(weights, prefix + "linear1")(Self.modulate(tokens, shift: mod[0], scale: mod[1]))
        let attention = attend(qkv: &projected, textCount: textCount, textNorms: norms, imageNorms: norms, rope: rope)

        let linear2 = try Linear(weights, prefix + "linear2")
        var output = Tensor.uninitialized(shape: [tokens.rowCount, hidden])
        projected.withMatrix { projected in
            let mlp = projected.columns((3 * hidden)..<projected.columns)
            Ops.geluTanh(in: mlp)
            output.withMatrix { output in
                attention.withReadOnlyMatrix { linear2.apply($0, weightColumns: 0..<hidden, into: output) }
                linear2.apply(mlp, weightColumns: hidden..<linear2.inputFeatures, into: output, accumulate: true)
            }
        }
        Self.addGated(&tokens, gate: mod[2], output)
    }

    /// The learned scales of the per-head RMSNorm on queries and keys.
    struct HeadNorms {
        var query: [Float]
        var key: [Float]
    }

    private func headNorms(_ prefix: String) throws -> HeadNorms {
        let dimension = configuration.headDimension
        return HeadNorms(
            query: try weights.load(prefix + "query_norm.scale", shape: [dimension]).storage,
            key: try weights.load(prefix + "key_norm.scale", shape: [dimension]).storage
        )
    }

    /// Writes `input`·Wᵀ + b of the Linear `name` into `output`.
    private func project(_ input: Tensor, _ name: String, into output: MatrixSlice) throws {
        let linear = try Linear(weights, name)
        input.withReadOnlyMatrix { linear.apply($0, into: output) }
    }

    /// Runs joint attention over the [text; image] rows of a matrix whose first 3·hidden columns are q,
    /// k and v. Normalises q and k per head (RMSNorm, eps 1e-6) and applies RoPE to the image rows
    /// (text ids are zero, so their rotation is the identity), both in place.
    private func attend(qkv: inout Tensor, textCount: Int, textNorms: HeadNorms, imageNorms: HeadNorms, rope: RotaryEmbedding) -> Tensor {
        let hidden = configuration.hiddenSize
        let heads = configuration.heads
        let total = qkv.rowCount
        var out = Tensor.uninitialized(shape: [total, hidden])
        qkv.withMatrix { qkv in
            let q = qkv.columns(0..<hidden)
            let k = qkv.columns(hidden..<(2 * hidden))
            let v = qkv.columns((2 * hidden)..<(3 * hidden))
            let text = 0..<textCount
            let image = textCount..<total
            Ops.rmsNormGroups(q.rows(text), scale: textNorms.query, epsilon: 1e-6)
            Ops.rmsNormGroups(k.rows(text), scale: textNorms.key, epsilon: 1e-6)
            Ops.rmsNormGroups(q.rows(image), scale: imageNorms.query, epsilon: 1e-6)
            Ops.rmsNormGroups(k.rows(image), scale: imageNorms.key, epsilon: 1e-6)
            rope.apply(to: q.rows(image), heads: heads)
            rope.apply(to: k.rows(image), heads: heads)
            let scale = 1 / Float(configuration.headDimension).squareRoot()
            out.withMatrix { out in
                Attention.attend(q: q, k: k, v: v, into: out, heads: heads, scale: scale, causal: false, bias: nil)
            }
        }
        return out
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

    /// Returns (1 + scale)·LayerNorm(x) + shift per row, LayerNorm without affine terms and eps
    /// 1e-6, as a new tensor written in one pass over each row.
    static func modulate(_ x: Tensor, shift: [Float], scale: [Float]) -> Tensor {
        let width = x.rowLength
        precondition(shift.count == width && scale.count == width, "modulation vectors of \(shift.count) for rows of \(width)")
        var out = Tensor.uninitialized(shape: x.shape)
        x.withReadOnlyMatrix { input in
            out.withMatrix { output in
                shift.withUnsafeBufferPointer { shift in
                    scale.withUnsafeBufferPointer { scale in
                        parallelChunks(input.rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                            for row in range {
                                fk_layer_norm_modulate(input.row(row), output.row(row), width, shift.baseAddress, scale.baseAddress, 1e-6)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// x += gate ⊙ y per row.
    static func addGated(_ x: inout Tensor, gate: [Float], _ y: Tensor) {
        precondition(x.shape == y.shape, "shapes \(x.shape) and \(y.shape) differ")
        precondition(gate.count == x.rowLength, "a gate of \(gate.count) for rows of \(x.rowLength)")
        let width = x.rowLength
        y.withReadOnlyMatrix { update in
            x.withMatrix { values in
                gate.withUnsafeBufferPointer { gate in
                    parallelChunks(values.rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                        for row in range { fk_add_product(values.row(row), gate.baseAddress, update.row(row), width) }
                    }
                }
            }
        }
    }
}
