import Foundation
import Testing

@testable import FluxEngine

@Suite struct OpsTests {
    /// x·σ(2u) must equal the reference form 0.5·x·(1 + tanh(u)), computed here in Double.
    @Test(arguments: [-20.0, -5.5, -1.25, -0.01, 0, 0.003, 0.7, 2.5, 9, 30])
    func geluTanhMatchesTheTanhForm(x: Double) {
        let inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
        let expected = 0.5 * x * (1 + tanh(inner))
        let actual = Ops.geluTanh(Tensor(shape: [1], storage: [Float(x)])).storage[0]
        // Float32 rounding of the input and of one expf: a few units in the last place.
        #expect(abs(Double(actual) - expected) <= 4e-7 * max(abs(x), 1e-3))
    }

    @Test(arguments: [1, 3, 4, 37])
    func exponentiateRowReturnsTheSum(count: Int) {
        var row = (0..<count).map { sinf(Float($0) * 1.3) * 4 }
        if count > 1 { row[count / 2] = -.infinity }  // a masked key; a row of one masked key is the next test
        let maximum = row.max() ?? 0
        let expected = row.map { expf($0 - maximum) }
        let sum = row.withUnsafeMutableBufferPointer { Ops.exponentiateRow($0.baseAddress!, count) }  // non-empty
        for index in 0..<count {
            // The engine's exponential is within two float32 ulp of expf (see the tests below).
            #expect(abs(row[index] - expected[index]) <= 2.4e-7 * expected[index], "element \(index)")
        }
        // The vector lanes add in another order than a plain loop: float32 rounding only.
        #expect(abs(sum - expected.reduce(0, +)) <= 1e-6 * Float(count))
    }

    @Test func exponentiateRowLeavesAMaskedRow() {
        var row = [Float](repeating: -.infinity, count: 6)
        let sum = row.withUnsafeMutableBufferPointer { Ops.exponentiateRow($0.baseAddress!, 6) }  // non-empty
        #expect(sum == 0)
        #expect(row.allSatisfy { $0 == -.infinity })
    }
}

extension OpsTests {
    @Test func exponentialMatchesExpfOverTheWholeRange() {
        let inputs = (0...400_000).map { -87.3 + Float($0) * (88.7 + 87.3) / 400_000 }
        let actual = Ops.exponentials(inputs)
        var worst: Float = 0
        for (x, value) in zip(inputs, actual) {
            let expected = expf(x)
            worst = max(worst, abs(value - expected) / expected)
        }
        // Cephes' polynomial is accurate to about 1 ulp; 2.4e-7 is two ulp of float32.
        #expect(worst <= 2.4e-7)
    }

    @Test func exponentialHandlesTheEdges() {
        let edges: [Float] = [0, -.infinity, -100, -87.4, 88.8, 1000, .infinity, .nan]
        let values = Ops.exponentials(edges)
        #expect(values[0] == 1)
        #expect(values[1] == 0)
        #expect(values[2] == 0)
        #expect(values[3] == 0)
        #expect(values[4] == .infinity)
        #expect(values[5] == .infinity)
        #expect(values[6] == .infinity)
        #expect(values[7].isNaN)
        // The top of the range needs 2^128 split in two factors to stay finite.
        let top = Ops.exponentials([88.72])[0]
        #expect(top.isFinite)
        #expect(abs(top - expf(88.72)) <= 2.4e-7 * expf(88.72))
    }

    /// Every length from 0 to 70 runs through the vector body and the scalar tail of the kernels.
    @Test func activationsMatchTheirDefinitionsAtEveryLength() {
        for count in 0...70 {
            let input = (0..<count).map { Float($0 - 35) * 0.37 }
            let silu = Ops.silu(Tensor(shape: [count], storage: input)).storage
            let quick = Ops.quickGelu(Tensor(shape: [count], storage: input)).storage
            for (index, x) in input.enumerated() {
                let value = Double(x)
                #expect(abs(Double(silu[index]) - value / (1 + exp(-value))) <= 3e-7 * max(abs(value), 1e-3), "silu \(count) \(index)")
                #expect(abs(Double(quick[index]) - value / (1 + exp(-1.702 * value))) <= 3e-7 * max(abs(value), 1e-3), "quick \(count) \(index)")
            }
        }
    }
}
