/// The inner loop shared by both convolution passes: weighted sums of whole rows of bytes.
///
/// Each fixed-point coefficient `w` is split into `high * 2^15 + low` with `low` in `0..<2^15` and
/// `high` in the signed 16-bit range, and the two halves are summed apart. Every product is then a
/// 16-bit by 16-bit multiply, which LLVM lowers to `pmaddwd` on the x86-64 baseline (SSE2), where a
/// full 32-bit vector multiply is not available. The result equals Pillow's `int` sum exactly: the
/// split is exact, and the wrapping sums agree modulo 2^32 with a true sum that fits in `Int32`.
enum ResampleKernel {
    /// Bytes filtered per vector step.
    static let vectorWidth = 16

    /// Writes `destination[i] = clip(Σ weights[tap] * source[tap * rowStride + i])` for `i < length`.
    ///
    /// `source` points at the first of `count` rows, each `rowStride` bytes apart and at least
    /// `length` bytes long; the caller guarantees those rows and `weights[0..<count]` are readable.
    @inline(__always)
    static func filterRows(
        _ source: UnsafePointer<UInt8>,
        rowStride: Int,
        count: Int,
        weights: UnsafePointer<Int32>,
        into destination: UnsafeMutablePointer<UInt8>,
        length: Int
    ) {
        var offset = 0
        while offset + vectorWidth <= length {
            filterVector(source + offset, rowStride: rowStride, count: count, weights: weights, into: destination + offset)
            offset += vectorWidth
        }
        while offset < length {
            var sum = ResampleConvolution.roundingHalf
            for tap in 0..<count { sum &+= Int32(source[tap * rowStride + offset]) &* weights[tap] }
            destination[offset] = ResampleConvolution.clip(sum)
            offset += 1
        }
    }

    /// Filters `vectorWidth` adjacent bytes of each row.
    @inline(__always)
    private static func filterVector(
        _ source: UnsafePointer<UInt8>,
        rowStride: Int,
        count: Int,
        weights: UnsafePointer<Int32>,
        into destination: UnsafeMutablePointer<UInt8>
    ) {
        var lowSums = SIMD16<Int32>.zero
        var highSums = SIMD16<Int32>.zero
        for tap in 0..<count {
            let weight = weights[tap]
            // The masks and the Int16 round trip let LLVM prove both factors fit in 16 bits.
            let low = SIMD16<Int32>(repeating: weight & 0x7FFF)
            let high = SIMD16<Int32>(repeating: Int32(Int16(truncatingIfNeeded: weight >> 15)))
            // Safe: the caller guarantees `vectorWidth` readable bytes at this offset of every row.
            let bytes = UnsafeRawPointer(source + tap * rowStride).loadUnaligned(as: SIMD16<UInt8>.self)
            let pixels = SIMD16<Int32>(truncatingIfNeeded: bytes)
            lowSums &+= pixels &* low
            highSums &+= pixels &* high
        }
        let sums = (highSums &<< 15) &+ lowSums &+ ResampleConvolution.roundingHalf
        let values = (sums &>> ResampleCoefficients.precisionBits)
            .clamped(lowerBound: .zero, upperBound: SIMD16(repeating: 255))
        // Safe: the caller guarantees `vectorWidth` writable bytes at `destination`.
        UnsafeMutableRawPointer(destination).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: values), as: SIMD16<UInt8>.self)
    }
}
