import Foundation

/// PyTorch's CPU generator: `torch.randn(shape, generator=torch.Generator().manual_seed(seed))`
/// reproduced bit for bit in float32, so a seed gives the same noise as diffusers on the CPU.
///
/// The generator is a 32-bit Mersenne Twister (mt19937) seeded with the low 32 bits of the seed.
/// `torch.randn` on float32 has two paths in ATen's `normal_kernel`, both checked against values
/// that torch 2.15 wrote on an AVX-512 CPU:
/// - 16 values or more: one 24-bit uniform per value, then Box-Muller on blocks of 16 (the first 8
///   values are the radii's cosines, the next 8 the sines) with the Cephes-style `log256_ps` and
///   `sincos256_ps` polynomials of `avx_mathfun.h`. A count that is not a multiple of 16 redraws
///   16 uniforms for the last block, which overlaps the previous one.
/// - fewer than 16 values: double-precision Box-Muller from 53-bit uniforms, returning the cosine
///   branch and caching the sine branch for the next value.
// NOTE: on a CPU without AVX2, torch computes the blocks of 16 with libm's logf, cosf and sinf
// instead, so a few values differ from this generator in the last bit.
public struct TorchRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
    }

    /// Returns the next raw 32-bit output of mt19937.
    public mutating func next32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var value = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { value ^= 0x9908_B0DF }
            state[i] = value
        }
        index = 0
    }

    /// Returns a float uniform in [0, 1) from the low 24 bits of one draw.
    mutating func uniformFloat() -> Float {
        Float(next32() & 0xFF_FFFF) * 0x1p-24
    }

    /// Returns a double uniform in [0, 1) from the low 53 bits of two draws, the first one high.
    mutating func uniformDouble() -> Double {
        let high = UInt64(next32())
        let low = UInt64(next32())
        return Double(((high << 32) | low) & ((1 << 53) - 1)) * 0x1p-53
    }

    /// Returns `count` standard normal values, as one `torch.randn` call of that many elements draws them.
    public mutating func normal(count: Int) -> [Float] {
        if count < 16 { return (0..<count).map { _ in Float(nextDoubleNormal()) } }
        var values = (0..<count).map { _ in uniformFloat() }
        var start = 0
        while start + 16 <= count {
            Self.boxMuller16(&values, start)
            start += 16
        }
        if count % 16 != 0 {
            for i in (count - 16)..<count { values[i] = uniformFloat() }
            Self.boxMuller16(&values, count - 16)
        }
        return values
    }

    /// Returns the standard normal values that one `torch.randn(shape)` call draws, as a tensor.
    public mutating func normal(shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: normal(count: shape.reduce(1, *)))
    }

    private mutating func nextDoubleNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    private static func boxMuller16(_ values: inout [Float], _ start: Int) {
        let twoPi = Float(2 * Double.pi)
        for j in 0..<8 {
            let u1 = 1 - values[start + j]
            let u2 = values[start + j + 8]
            let radius = (-2 * TorchMath.log(u1)).squareRoot()
            let (sine, cosine) = TorchMath.sinCos(twoPi * u2)
            values[start + j] = radius * cosine
            values[start + j + 8] = radius * sine
        }
    }
}
