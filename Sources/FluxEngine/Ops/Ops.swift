#if canImport(Glibc)
import Glibc
#endif

/// Elementwise and row-wise operations on float32 tensors.
///
/// Row-wise operations treat a tensor as a matrix over its last dimension. Reductions accumulate in
/// Double where float32 sums over thousands of values would drift from PyTorch.
public enum Ops {
    /// Adds `vector` to every row of `values` (row length = vector.count).
    public static func addRowVector(_ values: inout [Float], _ vector: [Float]) {
        let width = vector.count
        guard width > 0 else { return }
        let rows = values.count / width
        values.withUnsafeMutableBufferPointer { out in
            vector.withUnsafeBufferPointer { add in
                parallelChunks(rows, minimumChunk: max(1, 65536 / width)) { range in
                    for row in range {
                        let base = row * width
                        for column in 0..<width { out[base + column] += add[column] }
                    }
                }
            }
        }
    }

    /// LayerNorm over the last dimension; `weight` and `bias` are optional affine terms.
    public static func layerNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float) -> Tensor {
        var out = x
        let width = x.rowLength
        let gamma = weight?.storage
        let beta = bias?.storage
        out.storage.withUnsafeMutableBufferPointer { values in
            parallelChunks(x.rowCount, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                for row in range {
                    let base = row * width
                    var sum = 0.0
                    for column in 0..<width { sum += Double(values[base + column]) }
                    let mean = sum / Double(width)
                    var squares = 0.0
                    for column in 0..<width {
                        let centred = Double(values[base + column]) - mean
                        squares += centred * centred
                    }
                    let inverse = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
                    let meanF = Float(mean)
                    for column in 0..<width {
                        var value = (values[base + column] - meanF) * inverse
                        if let gamma { value *= gamma[column] }
                        if let beta { value += beta[column] }
                        values[base + column] = value
                    }
                }
            }
        }
        return out
    }

    /// RMSNorm over the last dimension: x / sqrt(mean(x²) + eps) · scale.
    public static func rmsNorm(_ x: Tensor, scale: Tensor?, epsilon: Float) -> Tensor {
        var out = x
        let width = x.rowLength
        let gamma = scale?.storage
        out.storage.withUnsafeMutableBufferPointer { values in
            parallelChunks(x.rowCount, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                for row in range {
                    let base = row * width
                    var squares = 0.0
                    for column in 0..<width {
                        let value = Double(values[base + column])
                        squares += value * value
                    }
                    let inverse = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
                    for column in 0..<width {
                        var value = values[base + column] * inverse
                        if let gamma { value *= gamma[column] }
                        values[base + column] = value
                    }
                }
            }
        }
        return out
    }

    /// Applies `transform` to every element, in parallel.
    public static func map(_ x: Tensor, _ transform: @Sendable (Float) -> Float) -> Tensor {
        var out = x
        out.storage.withUnsafeMutableBufferPointer { values in
            parallelChunks(values.count) { range in
                for index in range { values[index] = transform(values[index]) }
            }
        }
        return out
    }

    /// GELU with the tanh approximation (PyTorch `gelu(approximate="tanh")`, T5's `gelu_new`).
    ///
    /// Computed as x·σ(2u), which equals 0.5·x·(1 + tanh(u)): one `expf` costs less than glibc's
    /// `tanhf`, which calls `expm1f`, and the two forms differ only by float32 rounding.
    public static func geluTanh(_ x: Tensor) -> Tensor {
        map(x) { value in
            let inner = 0.7978845608028654 * (value + 0.044715 * value * value * value)
            return value / (1 + expf(-2 * inner))
        }
    }

    /// SiLU: x·σ(x).
    public static func silu(_ x: Tensor) -> Tensor {
        map(x) { $0 / (1 + expf(-$0)) }
    }

    /// CLIP's quick GELU: x·σ(1.702x).
    public static func quickGelu(_ x: Tensor) -> Tensor {
        map(x) { $0 / (1 + expf(-1.702 * $0)) }
    }

    /// Elementwise sum of two tensors of the same shape.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
        var out = a
        out.storage.withUnsafeMutableBufferPointer { values in
            b.storage.withUnsafeBufferPointer { other in
                parallelChunks(values.count) { range in
                    for index in range { values[index] += other[index] }
                }
            }
        }
        return out
    }

    /// Elementwise product of two tensors of the same shape.
    public static func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
        var out = a
        out.storage.withUnsafeMutableBufferPointer { values in
            b.storage.withUnsafeBufferPointer { other in
                parallelChunks(values.count) { range in
                    for index in range { values[index] *= other[index] }
                }
            }
        }
        return out
    }

    /// Replaces a row by exp(x − max(x)) and returns the sum of the new values, so a caller can
    /// divide by the sum later (after a product with V, on fewer values). Returns 0 for a row
    /// whose values are all −∞, leaving it unchanged.
    @inline(__always)
    static func exponentiateRow(_ row: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        let maximum = maximumOfRow(row, count)
        if maximum == -.infinity { return 0 }
        // No libm call in this loop, so the compiler may vectorise it.
        for index in 0..<count { row[index] = exponential(row[index] - maximum) }
        // Four partial sums break the dependency chain between the additions.
        var sum0: Float = 0, sum1: Float = 0, sum2: Float = 0, sum3: Float = 0
        var index = 0
        while index + 4 <= count {
            sum0 += row[index]
            sum1 += row[index + 1]
            sum2 += row[index + 2]
            sum3 += row[index + 3]
            index += 4
        }
        while index < count {
            sum0 += row[index]
            index += 1
        }
        return (sum0 + sum1) + (sum2 + sum3)
    }

    /// Returns exp(x) for x ≤ 0 without a libm call, using Cephes' `expf` reduction and polynomial
    /// (within 2 ulp of glibc's `expf` on [−87, 0]); 0 below −87.3 and for −∞.
    @inline(__always)
    static func exponential(_ x: Float) -> Float {
        let clamped = min(max(x, -87.33654), 88.37626)
        // Adding 1.5·2²³ rounds x·log2(e) to the nearest integer n and leaves n in the low bits.
        let shifted = clamped * 1.442695041 + 12_582_912
        let n = shifted - 12_582_912
        let r = (clamped - n * 0.693359375) + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let value = p * (r * r) + r + 1
        // 2ⁿ: n + 127 in the exponent field (n is in the low bits of `shifted`'s pattern).
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return x < -87.33654 ? 0 : value * scale
    }

    /// Returns the largest value of a row, −∞ for an empty row.
    @inline(__always)
    static func maximumOfRow(_ row: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        // Four running maxima, for the same reason as the partial sums above.
        var max0 = -Float.infinity, max1 = -Float.infinity, max2 = -Float.infinity, max3 = -Float.infinity
        var index = 0
        while index + 4 <= count {
            max0 = max(max0, row[index])
            max1 = max(max1, row[index + 1])
            max2 = max(max2, row[index + 2])
            max3 = max(max3, row[index + 3])
            index += 4
        }
        while index < count {
            max0 = max(max0, row[index])
            index += 1
        }
        return max(max(max0, max1), max(max2, max3))
    }
}
