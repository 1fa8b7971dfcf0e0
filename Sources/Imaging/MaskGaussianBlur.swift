import Foundation

/// Gaussian blur of masks with the conventions of SciPy's `gaussian_filter`: a kernel truncated at four
/// standard deviations and borders mirrored about the edge (`mode="reflect"`: d c b a | a b c d).
enum MaskGaussianBlur {
    /// Returns the normalised kernel of radius `Int(4 · sigma + 0.5)`, as `scipy.ndimage._gaussian_kernel1d`.
    static func kernel(sigma: Double) -> [Double] {
        let radius = Int(4 * sigma + 0.5)
        let weights = (-radius...radius).map { x in exp(-0.5 * Double(x * x) / (sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Maps an index outside `0..<count` onto the mirrored image, repeating the mirror as often as needed.
    static func reflected(_ index: Int, count: Int) -> Int {
        let period = 2 * count
        var i = index % period
        if i < 0 { i += period }
        return i < count ? i : period - 1 - i
    }

    /// Blurs `mask` and converts back to bytes with `rounding`.
    ///
    /// `.towardZero` truncates as 8-bit conversions in PyTorch do, but first adds 1e-6 so that a value
    /// that is a whole number up to floating-point error (254.9999999 in a fully covered area) stays whole.
    static func blurred(
        _ mask: Mask,
        sigma: Double,
        rounding: FloatingPointRoundingRule = .toNearestOrEven
    ) -> Mask {
        let tolerance = rounding == .towardZero ? 1e-6 : 0
        guard sigma > 0 else { return mask }
        return MaskMorphology.appliedNearNonZero(mask, margin: Int(4 * sigma + 0.5)) { region in
            let plane = blurredPlane(
                region.values.map(Double.init),
                width: region.width,
                height: region.height,
                sigma: sigma
            )
            let values = plane.map { UInt8(clamping: Int(($0 + tolerance).rounded(rounding))) }
            return Mask(width: region.width, height: region.height, values: values)
        }
    }

    /// Blurs a plane of `width` × `height` values, rows first and then columns, as SciPy does per axis.
    static func blurredPlane(_ input: [Double], width: Int, height: Int, sigma: Double) -> [Double] {
        let weights = kernel(sigma: sigma)
        let radius = weights.count / 2
        var rows = [Double](repeating: 0, count: input.count)
        ResampleConvolution.withRowAccess(input, weights, &rows) { source, kernel, destination in
            ResampleConvolution.forEachRowChunk(height) { chunk in
                var padded = [Double](repeating: 0, count: width + 2 * radius)
                for y in chunk {
                    for i in padded.indices {
                        padded[i] = source.address[y * width + reflected(i - radius, count: width)]
                    }
                    for x in 0..<width {
                        var sum = 0.0
                        for tap in 0...(2 * radius) { sum += kernel.address[tap] * padded[x + tap] }
                        destination.address[y * width + x] = sum
                    }
                }
            }
        }

        var output = [Double](repeating: 0, count: input.count)
        ResampleConvolution.withRowAccess(rows, weights, &output) { source, kernel, destination in
            ResampleConvolution.forEachRowChunk(height) { chunk in
                for y in chunk {
                    let outputRow = destination.address + y * width
                    for tap in 0...(2 * radius) {
                        let sourceRow = source.address + reflected(y + tap - radius, count: height) * width
                        let weight = kernel.address[tap]
                        for x in 0..<width { outputRow[x] += weight * sourceRow[x] }
                    }
                }
            }
        }
        return output
    }
}
