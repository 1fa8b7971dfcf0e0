/// Multi-head scaled dot-product attention, tiled over query rows so the score matrix of a long
/// sequence never exists whole.
public enum Attention {
    /// Query rows per tile: 256 rows against 8,704 keys is 8.9 MB of scores.
    public static let queryTile = 256

    /// softmax(q·kᵀ·scale + bias)·v per head.
    ///
    /// - Parameters:
    ///   - q: [Lq, heads·headDim], heads laid side by side in each row (the Linear output layout).
    ///   - k, v: [Lk, heads·headDim].
    ///   - scale: usually 1/√headDim; T5 uses 1.
    ///   - causal: masks keys after the query position (CLIP's text encoder).
    ///   - bias: added to the scores, `bias(head, queryRow, scoresRow)` writes into a row of Lk values.
    /// - Returns: [Lq, heads·headDim].
    public static func scaledDotProduct(
        q: Tensor,
        k: Tensor,
        v: Tensor,
        heads: Int,
        scale: Float,
        causal: Bool = false,
        bias: (@Sendable (_ head: Int, _ queryRow: Int, _ scores: UnsafeMutableBufferPointer<Float>) -> Void)? = nil
    ) -> Tensor {
        let width = q.rowLength
        precondition(width % heads == 0 && k.rowLength == width && v.rowLength == width, "attention widths differ")
        precondition(k.rowCount == v.rowCount, "keys and values differ in length")
        let headDim = width / heads
        let queries = q.rowCount
        let keys = k.rowCount
        var out = [Float](repeating: 0, count: queries * width)
        q.storage.withUnsafeBufferPointer { qs in
            k.storage.withUnsafeBufferPointer { ks in
                v.storage.withUnsafeBufferPointer { vs in
                    out.withUnsafeMutableBufferPointer { output in
                        for head in 0..<heads {
                            attendHead(
                                head: head, headDim: headDim, width: width, queries: queries, keys: keys,
                                q: qs, k: ks, v: vs, out: output, scale: scale, causal: causal, bias: bias
                            )
                        }
                    }
                }
            }
        }
        return Tensor(shape: [queries, width], storage: out)
    }

    // swiftlint:disable:next function_parameter_count
    private static func attendHead(
        head: Int,
        headDim: Int,
        width: Int,
        queries: Int,
        keys: Int,
        q: UnsafeBufferPointer<Float>,
        k: UnsafeBufferPointer<Float>,
        v: UnsafeBufferPointer<Float>,
        out: UnsafeMutableBufferPointer<Float>,
        scale: Float,
        causal: Bool,
        bias: (@Sendable (Int, Int, UnsafeMutableBufferPointer<Float>) -> Void)?
    ) {
        guard let qBase = q.baseAddress, let kBase = k.baseAddress, let vBase = v.baseAddress,
            let outBase = out.baseAddress
        else { return }
        let offset = head * headDim
        let tile = min(queryTile, queries)
        var scores = [Float](repeating: 0, count: tile * keys)
        let sumBase = UnsafeMutablePointer<Float>.allocate(capacity: tile)
        defer { sumBase.deallocate() }
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
            guard let scoreBase = scoreBuffer.baseAddress else { return }
            var start = 0
            while start < queries {
                let rows = min(tile, queries - start)
                // scores = q_tile · k_headᵀ · scale, reading the head's columns in place via the leading dimension.
                BLAS.gemm(
                    m: rows, n: keys, k: headDim,
                    a: qBase + start * width + offset, lda: width,
                    b: kBase + offset, ldb: width, bTransposed: true,
                    c: scoreBase, ldc: keys, alpha: scale
                )
                parallelChunks(rows, minimumChunk: 16) { range in
                    for row in range {
                        let rowPointer = scoreBase + row * keys
                        let queryRow = start + row
                        if let bias { bias(head, queryRow, UnsafeMutableBufferPointer(start: rowPointer, count: keys)) }
                        if causal, queryRow + 1 < keys {
                            for column in (queryRow + 1)..<keys { rowPointer[column] = -.infinity }
                        }
                        sumBase[row] = Ops.exponentiateRow(rowPointer, keys)
                    }
                }
                // out = exp(scores)·V, then each row divided by its sum: the softmax normalisation
                // applied to headDim values per row instead of to all `keys` scores.
                BLAS.gemm(
                    m: rows, n: headDim, k: keys,
                    a: scoreBase, lda: keys,
                    b: vBase + offset, ldb: width, bTransposed: false,
                    c: outBase + start * width + offset, ldc: width
                )
                for row in 0..<rows {
                    let inverse = 1 / sumBase[row]
                    let target = outBase + (start + row) * width + offset
                    for column in 0..<headDim { target[column] *= inverse }
                }
                start += rows
            }
        }
    }
}
