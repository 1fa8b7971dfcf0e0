/// The single-head spatial self-attention of the VAE's middle blocks.
extension FluxVAE {
    /// GroupNorm, then q, k, v and the output projection as per-pixel linear maps, attention over
    /// all H·W positions with scale 1/√C, plus the input.
    ///
    /// The score matrix is tiled by `Attention.scaledDotProduct` (256 query rows at a time), so a
    /// 128×128 latent-level image needs 16 MB of scores rather than 1 GB.
    func attention(_ prefix: String, _ x: Tensor) throws -> Tensor {
        let channels = x.shape[0]
        var h = x
        try normalize(prefix + ".norm", &h, silu: false)
        let rows = Self.transposed(h.storage, rows: channels, columns: h.shape[1] * h.shape[2])
        let q = try projection(prefix + ".q", channels)(rows)
        let k = try projection(prefix + ".k", channels)(rows)
        let v = try projection(prefix + ".v", channels)(rows)
        let attended = Attention.scaledDotProduct(q: q, k: k, v: v, heads: 1, scale: 1 / Float(channels).squareRoot())
        let projected = try projection(prefix + ".proj_out", channels)(attended)
        var out = Tensor(shape: x.shape, storage: Self.transposed(projected.storage, rows: projected.rowCount, columns: channels).storage)
        Self.addInPlace(&out, x)
        return out
    }

    private func projection(_ prefix: String, _ channels: Int) throws -> Linear {
        Linear(
            weight: try weights.load(prefix + ".weight", shape: [channels, channels]),
            bias: try weights.load(prefix + ".bias", shape: [channels])
        )
    }

    /// The transpose of a row-major `[rows, columns]` matrix, copied in 32×32 blocks.
    static func transposed(_ values: [Float], rows: Int, columns: Int) -> Tensor {
        var out = [Float](repeating: 0, count: values.count)
        let block = 32
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                let rowBlocks = (rows + block - 1) / block
                parallelChunks(rowBlocks, minimumChunk: 8) { range in
                    for rowBlock in range {
                        let rowEnd = min(rows, (rowBlock + 1) * block)
                        var columnStart = 0
                        while columnStart < columns {
                            let columnEnd = min(columns, columnStart + block)
                            for row in (rowBlock * block)..<rowEnd {
                                for column in columnStart..<columnEnd {
                                    target[column * rows + row] = source[row * columns + column]
                                }
                            }
                            columnStart = columnEnd
                        }
                    }
                }
            }
        }
        return Tensor(shape: [columns, rows], storage: out)
    }
}
