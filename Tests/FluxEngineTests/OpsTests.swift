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
            // `Ops.exponential` is within two float32 ulp of expf (see the next test).
            #expect(abs(row[index] - expected[index]) <= 2.4e-7 * expected[index], "element \(index)")
        }
        // The four partial sums add in another order than a plain loop: float32 rounding only.
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
    @Test func exponentialMatchesExpf() {
        var worst: Float = 0
        for step in 0...400_000 {
            let x = -Float(step) * 87.3 / 400_000
            let expected = expf(x)
            worst = max(worst, abs(Ops.exponential(x) - expected) / expected)
        }
        // Cephes' polynomial is accurate to about 1 ulp; 2.4e-7 is two ulp of float32.
        #expect(worst <= 2.4e-7)
        #expect(Ops.exponential(0) == 1)
        #expect(Ops.exponential(-.infinity) == 0)
        #expect(Ops.exponential(-100) == 0)
    }
}
