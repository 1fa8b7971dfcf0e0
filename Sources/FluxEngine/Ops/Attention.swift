/// Multi-head scaled dot-product attention, tiled over query rows so the score matrix of a long
/// sequence never exists whole.
public enum Attention {
    /// Query rows per tile: 256 rows against 8,704 keys is 8.9 MB of scores.
    public static let queryTile = 256

    /// A bias added to one row of scores: `bias(head, queryRow, scores)` writes into Lk values.
    public typealias ScoreBias = @Sendable (_ head: Int, _ queryRow: Int, _ scores: UnsafeMutableBufferPointer<Float>) -> Void

    /// softmax(q·kᵀ·scale + bias)·v per head.
    ///
    /// - Parameters:
    ///   - q: [Lq, heads·headDim], heads laid side by side in each row (the Linear output layout).
    ///   - k, v: [Lk, heads·headDim].
    ///   - scale: usually 1/√headDim; T5 uses 1.
    ///   - causal: masks keys after the query position (CLIP's text encoder).
    ///   - bias: added to the scores before the softmax.
    /// - Returns: [Lq, heads·headDim].
    public static func scaledDotProduct(
        q: Tensor,
        k: Tensor,
        v: Tensor,
        heads: Int,
        scale: Float,
        causal: Bool = false,
        bias: ScoreBias? = nil
    ) -> Tensor {
        var out = Tensor.uninitialized(shape: [q.rowCount, q.rowLength])
        q.withReadOnlyMatrix { q in
            k.withReadOnlyMatrix { k in
                v.withReadOnlyMatrix { v in
                    out.withMatrix { out in
                        attend(q: q, k: k, v: v, into: out, heads: heads, scale: scale, causal: causal, bias: bias)
                    }
                }
            }
        }
        return out
    }

    /// Writes softmax(q·kᵀ·scale + bias)·v per head into `out` ([Lq, heads·headDim]). The inputs
    /// may be column ranges of larger matrices, such as a fused qkv projection.
    ///
    /// Each (head, query tile) pair is one unit of work. The units run in parallel on the engine's
    /// threads with OpenBLAS on one thread inside each, so a worker keeps its tile's scores in its
    /// own cache from the first product to the second.
    // swiftlint:disable:next function_parameter_count
    static func attend(
        q: MatrixSlice,
        k: MatrixSlice,
        v: MatrixSlice,
        into out: MatrixSlice,
        heads: Int,
        scale: Float,
        causal: Bool,
        bias: ScoreBias?
    ) {
        let width = q.columns
        precondition(width % heads == 0 && k.columns == width && v.columns == width && out.columns == width, "attention widths differ")
        precondition(k.rows == v.rows, "keys and values differ in length")
        precondition(out.rows == q.rows, "an output of \(out.rows) rows for \(q.rows) queries")
        let headDim = width / heads
        let queries = q.rows
        let keys = k.rows
        guard queries > 0 else { return }
        let tile = min(queryTile, queries)
        let tiles = (queries + tile - 1) / tile
        let units = heads * tiles
        let workers = max(1, min(EngineThreads.count, units))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * tile * (keys + 1))
        defer { scratch.deallocate() }
        BLAS.withSingleThread {
            parallelChunks(units, minimumChunk: 1, workers: workers) { range, worker in
                let scores = scratch + worker * tile * (keys + 1)
                let sums = scores + tile * keys
                for unit in range {
                    let head = unit / tiles
                    let start = (unit % tiles) * tile
                    let rows = min(tile, queries - start)
                    let offset = head * headDim
                    // scores = q_tile · k_headᵀ · scale, reading the head's columns in place.
                    BLAS.gemm(
                        m: rows, n: keys, k: headDim,
                        a: q.row(start) + offset, lda: q.stride,
                        b: k.base + offset, ldb: k.stride, bTransposed: true,
                        c: scores, ldc: keys, alpha: scale, concurrentCallers: workers
                    )
                    for row in 0..<rows {
                        let scoreRow = scores + row * keys
                        let queryRow = start + row
                        if let bias { bias(head, queryRow, UnsafeMutableBufferPointer(start: scoreRow, count: keys)) }
                        if causal, queryRow + 1 < keys {
                            for column in (queryRow + 1)..<keys { scoreRow[column] = -.infinity }
                        }
                        sums[row] = Ops.exponentiateRow(scoreRow, keys)
                    }
                    // out = exp(scores)·V, then each row divided by its sum: the softmax
                    // normalisation applied to headDim values per row instead of to all the scores.
                    BLAS.gemm(
                        m: rows, n: headDim, k: keys,
                        a: scores, lda: keys,
                        b: v.base + offset, ldb: v.stride, bTransposed: false,
                        c: out.row(start) + offset, ldc: out.stride, concurrentCallers: workers
                    )
                    for row in 0..<rows {
                        let inverse = 1 / sums[row]
                        let target = out.row(start + row) + offset
                        for column in 0..<headDim { target[column] *= inverse }
                    }
                }
            }
        }
    }
}
