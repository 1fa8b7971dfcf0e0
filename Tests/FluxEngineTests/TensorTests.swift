import Foundation
import Testing

@testable import FluxEngine

@Suite struct TensorTests {
    @Test func linearMatchesTheDefinition() {
        let x = Tensor(shape: [3, 4], storage: (0..<12).map { Float($0) * 0.5 - 2 })
        let weight = Tensor(shape: [2, 4], storage: [1, -1, 2, 0.5, 0, 3, -2, 1])
        let bias = Tensor(shape: [2], storage: [0.25, -1])
        let y = Linear(weight: weight, bias: bias)(x)
        for row in 0..<3 {
            for out in 0..<2 {
                var expected = bias.storage[out]
                for column in 0..<4 { expected += x.storage[row * 4 + column] * weight.storage[out * 4 + column] }
                #expect(y.storage[row * 2 + out] == expected)
            }
        }
    }

    @Test func attentionMatchesANaiveSoftmaxPerHead() {
        let heads = 2
        let width = 6
        let queries = 300  // more than one query tile
        let keys = 5
        func values(_ count: Int, _ seed: Float) -> [Float] { (0..<count).map { sinf(Float($0) * 0.37 + seed) } }
        let q = Tensor(shape: [queries, width], storage: values(queries * width, 1))
        let k = Tensor(shape: [keys, width], storage: values(keys * width, 2))
        let v = Tensor(shape: [keys, width], storage: values(keys * width, 3))
        let out = Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads, scale: 0.5, causal: true)
        let headDim = width / heads
        var worst: Float = 0
        for head in 0..<heads {
            for row in 0..<queries {
                let visible = min(keys, row + 1)
                var scores = (0..<visible).map { key in
                    (0..<headDim).reduce(Float(0)) { sum, d in
                        sum + q.storage[row * width + head * headDim + d] * k.storage[key * width + head * headDim + d]
                    } * 0.5
                }
                let top = scores.max() ?? 0
                scores = scores.map { expf($0 - top) }
                let total = scores.reduce(0, +)
                for d in 0..<headDim {
                    let expected = (0..<visible).reduce(Float(0)) { $0 + scores[$1] / total * v.storage[$1 * width + head * headDim + d] }
                    worst = max(worst, abs(expected - out.storage[row * width + head * headDim + d]))
                }
            }
        }
        #expect(worst < 1e-5)
    }

    /// q, k and v read in place from a fused [L, 3·width] matrix, with a per-head bias, must give
    /// what separate tensors give.
    @Test func attentionReadsColumnRangesOfAFusedMatrix() {
        let heads = 3
        let width = 12
        let rows = 530  // three query tiles, split between the workers
        let fused = Tensor(shape: [rows, 3 * width], storage: (0..<(rows * 3 * width)).map { sinf(Float($0) * 0.011) })
        let bias: Attention.ScoreBias = { head, row, scores in
            for key in 0..<scores.count { scores[key] += Float(head) * 0.1 - Float((row + key) % 7) * 0.05 }
        }
        let separate = Attention.scaledDotProduct(
            q: fused.copiedColumns(0..<width), k: fused.copiedColumns(width..<(2 * width)),
            v: fused.copiedColumns((2 * width)..<(3 * width)), heads: heads, scale: 0.3, bias: bias
        )
        var inPlace = Tensor(shape: [rows, width])
        fused.withReadOnlyMatrix { matrix in
            inPlace.withMatrix { out in
                Attention.attend(
                    q: matrix.columns(0..<width), k: matrix.columns(width..<(2 * width)),
                    v: matrix.columns((2 * width)..<(3 * width)), into: out, heads: heads, scale: 0.3, causal: false, bias: bias
                )
            }
        }
        #expect(inPlace == separate)
        #expect(separate.maxMagnitude > 0.1)
    }

    /// A Linear over two column ranges of its weight, accumulated into one output, equals the Linear
    /// over the two inputs side by side (the split linear2 of a single-stream block).
    @Test func linearOverWeightColumnsAccumulates() {
        let left = Tensor(shape: [5, 3], storage: (0..<15).map { Float($0) * 0.25 - 1 })
        let right = Tensor(shape: [5, 4], storage: (0..<20).map { cosf(Float($0)) })
        var joinedValues: [Float] = []
        for row in 0..<5 {
            joinedValues += left.storage[(row * 3)..<(row * 3 + 3)]
            joinedValues += right.storage[(row * 4)..<(row * 4 + 4)]
        }
        let joined = Tensor(shape: [5, 7], storage: joinedValues)
        let linear = Linear(
            weight: Tensor(shape: [2, 7], storage: (0..<14).map { sinf(Float($0) + 0.5) }),
            bias: Tensor(shape: [2], storage: [0.5, -0.25])
        )
        var split = Tensor(shape: [5, 2])
        split.withMatrix { out in
            left.withReadOnlyMatrix { linear.apply($0, weightColumns: 0..<3, into: out) }
            right.withReadOnlyMatrix { linear.apply($0, weightColumns: 3..<7, into: out, accumulate: true) }
        }
        #expect(split.maxAbsoluteDifference(to: linear(joined)) <= 1e-6)
    }

    @Test func layerNormWithoutAffineHasZeroMeanAndUnitVariance() {
        let x = Tensor(shape: [2, 5], storage: [1, 2, 3, 4, 5, -3, 0, 9, 2, 2])
        let y = Ops.layerNorm(x, epsilon: 0)
        for row in 0..<2 {
            let slice = y.storage[(row * 5)..<(row * 5 + 5)]
            let mean = slice.reduce(0, +) / 5
            let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5
            #expect(abs(mean) < 1e-6)
            #expect(abs(variance - 1) < 1e-5)
        }
    }
}

extension Tensor {
    /// Columns `range` of the matrix view, copied out.
    fileprivate func copiedColumns(_ range: Range<Int>) -> Tensor {
        Tensor(shape: [rowCount, range.count], storage: (0..<rowCount).flatMap { row in
            Array(storage[(row * rowLength + range.lowerBound)..<(row * rowLength + range.upperBound)])
        })
    }
}
