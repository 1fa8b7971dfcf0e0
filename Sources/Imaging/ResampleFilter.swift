import Foundation

/// A resampling filter with the semantics of Pillow's `Image.resize` for 8-bit images.
///
/// The kernels, supports and fixed-point arithmetic follow Pillow's `libImaging/Resample.c`
/// (checked against Pillow 13.0.0): Lanczos with a = 3, bicubic with a = -0.5, bilinear (triangle),
/// and nearest neighbour through Pillow's affine pixel lookup.
public enum ResampleFilter: Sendable, Equatable, CaseIterable {
    case nearest
    case bilinear
    case bicubic
    case lanczos3

    /// The kernel radius in source pixels at scale 1; zero for `.nearest`, which uses no kernel.
    var support: Double {
        switch self {
        case .nearest: 0
        case .bilinear: 1
        case .bicubic: 2
        case .lanczos3: 3
        }
    }

    /// Evaluates the kernel at distance `x` (in kernel units).
    func weight(at x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .bilinear:
            let distance = abs(x)
            return distance < 1 ? 1 - distance : 0
        case .bicubic:
            return Self.bicubic(abs(x))
        case .lanczos3:
            return -3 <= x && x < 3 ? Self.sinc(x) * Self.sinc(x / 3) : 0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let angle = x * Double.pi
        return sin(angle) / angle
    }

    private static func bicubic(_ x: Double) -> Double {
        let a = -0.5
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }
}

/// Fixed-point coefficients for one axis of a resize, laid out as Pillow's `precompute_coeffs` does.
///
/// Output pixel `i` reads `counts[i]` source pixels starting at `starts[i]`, weighted by
/// `coefficients[i * taps ..< i * taps + counts[i]]`.
struct ResampleCoefficients {
    /// Fractional bits of a coefficient: Pillow's `PRECISION_BITS` for 8-bit images (32 - 8 - 2).
    static let precisionBits: Int32 = 22

    let taps: Int
    let starts: [Int]
    let counts: [Int]
    let coefficients: [Int32]

    /// Builds the table that maps `inputSize` source pixels onto `outputSize` output pixels.
    init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(ceil(support)) * 2 + 1

        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var coefficients = [Int32](repeating: 0, count: outputSize * taps)
        var weights = [Double](repeating: 0, count: taps)

        for output in 0..<outputSize {
            let center = (Double(output) + 0.5) * scale
            // Pillow truncates with a C cast after adding 0.5; both values are non-negative here.
            let first = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inputSize)
            let count = end - first

            var total = 0.0
            for tap in 0..<count {
                let weight = filter.weight(at: (Double(tap + first) - center + 0.5) / filterScale)
                weights[tap] = weight
                total += weight
            }
            for tap in 0..<count {
                let normalized = total != 0 ? weights[tap] / total : weights[tap]
                coefficients[output * taps + tap] = Self.fixedPoint(normalized)
            }
            starts[output] = first
            counts[output] = count
        }

        self.taps = taps
        self.starts = starts
        self.counts = counts
        self.coefficients = coefficients
    }

    /// Rounds a coefficient half away from zero into fixed point, as Pillow's `normalize_coeffs_8bpc`.
    private static func fixedPoint(_ value: Double) -> Int32 {
        let scaled = value * Double(1 << precisionBits)
        return Int32(scaled < 0 ? scaled - 0.5 : scaled + 0.5)
    }
}
