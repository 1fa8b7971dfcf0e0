import Foundation

/// Rotary position tables for Flux's three id axes, applied to adjacent pairs (x[2j], x[2j+1]).
///
/// Axis a contributes d_a/2 frequencies ω_j = θ^(−2j/d_a); pairs are laid out axis by axis. The
/// angles are computed in Double and rounded to float32, like diffusers' float64 `FluxPosEmbed`.
struct RotaryEmbedding: Sendable {
    /// [rows, pairs] cosines and sines, one row per image token.
    let cosines: [Float]
    let sines: [Float]
    let pairs: Int
    let rows: Int

    init(ids: Tensor, axesDimensions: [Int], theta: Double) {
        var frequencies: [(axis: Int, omega: Double)] = []
        for (axis, dimension) in axesDimensions.enumerated() {
            for j in 0..<(dimension / 2) {
                frequencies.append((axis, 1 / pow(theta, Double(2 * j) / Double(dimension))))
            }
        }
        pairs = frequencies.count
        rows = ids.rowCount
        var cosines = [Float](repeating: 0, count: rows * pairs)
        var sines = [Float](repeating: 0, count: rows * pairs)
        for row in 0..<rows {
            for (pair, frequency) in frequencies.enumerated() {
                let angle = Double(ids.storage[row * 3 + frequency.axis]) * frequency.omega
                cosines[row * pairs + pair] = Float(cos(angle))
                sines[row * pairs + pair] = Float(sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Rotates the rows of `matrix` ([rows, heads·2·pairs]) in place; row i uses table row i.
    func apply(to matrix: MatrixSlice, heads: Int) {
        let pairs = self.pairs
        precondition(matrix.columns == heads * 2 * pairs, "RoPE over \(pairs) pairs does not fit rows of \(matrix.columns) with \(heads) heads")
        precondition(matrix.rows == rows, "RoPE table has \(rows) rows for \(matrix.rows) tokens")
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                parallelChunks(rows, minimumChunk: 64) { range in
                    for row in range {
                        let values = matrix.row(row)
                        let table = row * pairs
                        for head in 0..<heads {
                            let headBase = head * 2 * pairs
                            for pair in 0..<pairs {
                                let x0 = values[headBase + 2 * pair]
                                let x1 = values[headBase + 2 * pair + 1]
                                let c = cosines[table + pair]
                                let s = sines[table + pair]
                                values[headBase + 2 * pair] = x0 * c - x1 * s
                                values[headBase + 2 * pair + 1] = x1 * c + x0 * s
                            }
                        }
                    }
                }
            }
        }
    }
}
