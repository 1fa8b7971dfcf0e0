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
