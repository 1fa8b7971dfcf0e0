import Foundation
import Testing

@testable import FluxEngine

/// Conv2d and GroupNorm against torch `conv2d` / `group_norm` outputs and against direct loops.
@Suite struct ConvolutionTests {
    struct ConvolutionCase: CustomTestStringConvertible, Sendable {
        var name: String
        var stride: Int
        var padding: Conv2d.Padding
        var testDescription: String { name }
    }

    static let cases = [
        ConvolutionCase(name: "k3s1p1", stride: 1, padding: .uniform(1)),
        ConvolutionCase(name: "k3s2pad0101", stride: 2, padding: Conv2d.Padding(top: 0, bottom: 1, left: 0, right: 1)),
        ConvolutionCase(name: "k1s1p0", stride: 1, padding: .uniform(0)),
        ConvolutionCase(name: "k3s1p0", stride: 1, padding: .uniform(0)),
    ]

    /// Scratch budgets: the default (one tile), one output row per tile, three im2col rows per
    /// tile, and two padded rows of 5 channels per tap-by-tap tile (9 rows leave a partial last tile).
    static let budgets = [Conv2d.defaultColumnBudget, 1, 3 * 6 * 9 * 11, 2 * 5 * 13]

    static func fixture() throws -> SafeTensorsFile {
        try VAETests.store("convolution.safetensors")
    }

    @Test(arguments: cases, budgets) func convolutionMatchesTorch(_ testCase: ConvolutionCase, budget: Int) throws {
        let file = try Self.fixture()
        let layer = Conv2d(
            weight: try file.load("\(testCase.name).weight"), bias: try file.load("\(testCase.name).bias"),
            stride: testCase.stride, padding: testCase.padding
        )
        let expected = try file.load("\(testCase.name).output")

        let output = layer(try file.load("conv.input"), columnBudget: budget)

        #expect(output.shape == expected.shape)
        // float32 sums of at most 54 products in another order: ~1e-6 of values near 10.
        #expect(output.maxAbsoluteDifference(to: expected) < 1e-5 * max(1, expected.maxMagnitude))
    }

    /// Nearest-neighbour ×2 enlargement done explicitly, the reference for `upsampling: 2`.
    static func upsampleNearest(_ x: Tensor) -> Tensor {
        let (channels, height, width) = (x.shape[0], x.shape[1], x.shape[2])
        var out = Tensor(shape: [channels, 2 * height, 2 * width])
        for c in 0..<channels {
            for y in 0..<(2 * height) {
                for column in 0..<(2 * width) {
                    out.storage[(c * 2 * height + y) * 2 * width + column] = x.storage[(c * height + y / 2) * width + column / 2]
                }
            }
        }
        return out
    }

    @Test(arguments: budgets) func upsamplingReadMatchesExplicitUpsample(budget: Int) throws {
        let file = try Self.fixture()
        let layer = Conv2d(weight: try file.load("k3s1p1.weight"), bias: try file.load("k3s1p1.bias"), padding: .uniform(1))
        let input = try file.load("conv.input")

        let fused = layer(input, upsampling: 2, columnBudget: budget)
        let explicit = layer(Self.upsampleNearest(input))

        #expect(fused.shape == [5, 18, 22])
        // Different tilings change OpenBLAS's summation order, so allow float32 rounding.
        #expect(fused.maxAbsoluteDifference(to: explicit) < 1e-5 * max(1, explicit.maxMagnitude))
    }

    @Test(arguments: budgets) func stridedUpsamplingReadMatchesExplicitUpsample(budget: Int) throws {
        let file = try Self.fixture()
        let layer = Conv2d(
            weight: try file.load("k3s2pad0101.weight"), bias: try file.load("k3s2pad0101.bias"), stride: 2,
            padding: Conv2d.Padding(top: 0, bottom: 1, left: 0, right: 1)
        )
        let input = try file.load("conv.input")

        let fused = layer(input, upsampling: 2, columnBudget: budget)
        let explicit = layer(Self.upsampleNearest(input))

        #expect(fused.shape == [5, 9, 11])
        // Different tilings change OpenBLAS's summation order, so allow float32 rounding.
        #expect(fused.maxAbsoluteDifference(to: explicit) < 1e-5 * max(1, explicit.maxMagnitude))
    }

    @Test func groupNormMatchesTorch() throws {
        let file = try Self.fixture()
        let norm = GroupNorm(groups: 4, weight: try file.load("groupnorm.weight"), bias: try file.load("groupnorm.bias"))
        let expected = try file.load("groupnorm.output")

        let output = norm(try file.load("groupnorm.input"))

        // Normalized values of order 1 from inputs of order 3: float32 rounding is ~1e-6.
        #expect(output.maxAbsoluteDifference(to: expected) < 1e-5)
    }

    @Test func groupNormWithSiLUAppliesSiLUAfterTheAffineTerms() throws {
        let file = try Self.fixture()
        let norm = GroupNorm(groups: 4, weight: try file.load("groupnorm.weight"), bias: try file.load("groupnorm.bias"))
        let input = try file.load("groupnorm.input")

        let fused = norm(input, silu: true)
        let separate = Ops.silu(norm(input))

        #expect(fused.maxAbsoluteDifference(to: separate) < 1e-6)
    }

    @Test func groupNormHandlesALargeMean() {
        // 1e4 + small spread: a one-pass E[x²] − mean² in float32 would lose the variance entirely.
        let values = (0..<64).map { 10_000 + Float($0 % 8) * 0.01 }
        let norm = GroupNorm(groups: 1, weight: Tensor(shape: [4], repeating: 1), bias: Tensor(shape: [4]), epsilon: 0)

        let output = norm(Tensor(shape: [4, 4, 4], storage: values))

        let variance = output.storage.reduce(0) { $0 + $1 * $1 } / Float(output.count)
        #expect(abs(variance - 1) < 1e-2)
    }
}
