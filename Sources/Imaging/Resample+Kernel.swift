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
    /// `source` points at the first of `count` rows, each `rowStride` bytes apart and at least `length`
    /// bytes long. The caller guarantees that those rows and `weights[0..<count]` are readable.
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
            let pixels = widen(bytes)
            lowSums &+= pixels &* low
            highSums &+= pixels &* high
        }
        let sums = (highSums &<< 15) &+ lowSums &+ ResampleConvolution.roundingHalf
        let values = clampToByte(sums &>> ResampleCoefficients.precisionBits)
        // Safe: the caller guarantees `vectorWidth` writable bytes at `destination`.
        UnsafeMutableRawPointer(destination).storeBytes(of: narrow(values), as: SIMD16<UInt8>.self)
    }

    // The element loops below replace `init(truncatingIfNeeded:)` and `clamped(lowerBound:upperBound:)`.
    // Swift 6.3 left those as out-of-line calls in this kernel (seen with perf), while LLVM vectorises
    // the loops.

    /// Zero-extends 16 bytes to 32-bit lanes.
    @inline(__always)
    static func widen(_ bytes: SIMD16<UInt8>) -> SIMD16<Int32> {
        var result = SIMD16<Int32>()
        for lane in 0..<16 { result[lane] = Int32(bytes[lane]) }
        return result
    }

    /// Keeps the low byte of each lane.
    @inline(__always)
    static func narrow<Lane: FixedWidthInteger>(_ lanes: SIMD16<Lane>) -> SIMD16<UInt8> {
        var result = SIMD16<UInt8>()
        for lane in 0..<16 { result[lane] = UInt8(truncatingIfNeeded: lanes[lane]) }
        return result
    }

    /// Clamps each lane to 0...255 so that its low byte is the clamped value.
    ///
    /// Negative lanes become 0 and lanes above 255 become all ones, whose low byte is 255. Only lanes
    /// below `Int32.min + 256` would wrap; shifted fixed-point sums stay within a few hundred of 0...255.
    @inline(__always)
    static func clampToByte(_ values: SIMD16<Int32>) -> SIMD16<Int32> {
        let nonNegative = values & ~(values &>> 31)
        return nonNegative | ((255 &- values) &>> 31)
    }
}
