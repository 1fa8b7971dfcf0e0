import Imaging

/// Measurements that tell a plausible fill from a visible patch, on images with a hard mask.
struct FillMetrics {
    let image: Image
    /// True where the mask is 255 (the hole).
    let isHole: [Bool]
    /// Chebyshev distance of each known pixel to the hole, 0 inside the hole, capped at `maximumDistance`.
    let distanceToHole: [Int]

    static let maximumDistance = 64

    init(image: Image, mask: Mask) {
        self.image = image
        isHole = mask.values.map { $0 == 255 }
        distanceToHole = Self.chebyshevDistances(isHole: isHole, width: mask.width, height: mask.height)
    }

    /// Mean absolute difference, summed over the colour channels, between 4-neighbours where one pixel is
    /// in the hole and the other is not: how visible the edge of the fill is.
    var borderGradient: Double {
        meanGradient { a, b in isHole[a] != isHole[b] }
    }

    /// The same measure over neighbours that both lie in the known ring 1 to 8 pixels from the hole: how
    /// much the photo's own texture varies next to the hole.
    var ringGradient: Double {
        meanGradient { a, b in inRing(a, maximum: 8) && inRing(b, maximum: 8) }
    }

    /// The same measure over neighbours that both lie in the hole: how much texture the fill has.
    var holeGradient: Double {
        meanGradient { a, b in isHole[a] && isHole[b] }
    }

    /// `borderGradient / ringGradient`; near 1 when the edge of the fill is as busy as the texture around it.
    var seamRatio: Double { borderGradient / ringGradient }

    /// `holeGradient / ringGradient`; 0 for a flat fill, near 1 when the fill is as busy as its surroundings.
    var textureRatio: Double { holeGradient / ringGradient }

    /// Per-channel mean and standard deviation of the hole pixels.
    var holeStatistics: [(mean: Double, deviation: Double)] {
        statistics { isHole[$0] }
    }

    /// Per-channel mean and standard deviation of the known ring 1 to 16 pixels from the hole.
    var ringStatistics: [(mean: Double, deviation: Double)] {
        statistics { inRing($0, maximum: 16) }
    }

    private func inRing(_ index: Int, maximum: Int) -> Bool {
        distanceToHole[index] >= 1 && distanceToHole[index] <= maximum
    }

    private func meanGradient(including: (Int, Int) -> Bool) -> Double {
        let width = image.width
        let channels = image.layout.channels
        var sum = 0
        var pairs = 0
        for y in 0..<image.height {
            for x in 0..<width {
                let a = y * width + x
                for b in [x + 1 < width ? a + 1 : -1, y + 1 < image.height ? a + width : -1] where b >= 0 {
                    guard including(a, b) else { continue }
                    for c in 0..<3 {
                        sum += abs(Int(image.pixels[a * channels + c]) - Int(image.pixels[b * channels + c]))
                    }
                    pairs += 1
                }
            }
        }
        return Double(sum) / Double(max(pairs, 1))
    }

    private func statistics(including: (Int) -> Bool) -> [(mean: Double, deviation: Double)] {
        let channels = image.layout.channels
        var sums = [Double](repeating: 0, count: 3)
        var squares = [Double](repeating: 0, count: 3)
        var count = 0.0
        for index in 0..<(image.width * image.height) where including(index) {
            for c in 0..<3 {
                let value = Double(image.pixels[index * channels + c])
                sums[c] += value
                squares[c] += value * value
            }
            count += 1
        }
        return (0..<3).map { c in
            let mean = sums[c] / count
            return (mean, max(squares[c] / count - mean * mean, 0).squareRoot())
        }
    }

    private static func chebyshevDistances(isHole: [Bool], width: Int, height: Int) -> [Int] {
        var distances = isHole.map { $0 ? 0 : maximumDistance }
        var frontier = isHole.indices.filter { isHole[$0] }
        var distance = 0
        while !frontier.isEmpty, distance < maximumDistance {
            distance += 1
            var next: [Int] = []
            for index in frontier {
                let x = index % width
                let y = index / width
                for ny in max(y - 1, 0)...min(y + 1, height - 1) {
                    for nx in max(x - 1, 0)...min(x + 1, width - 1) where distances[ny * width + nx] > distance {
                        distances[ny * width + nx] = distance
                        next.append(ny * width + nx)
                    }
                }
            }
            frontier = next
        }
        return distances
    }
}

/// Fills every hole pixel with the mean colour of the known ring around the hole, the simplest possible
/// fill, which the tests use to show that their checks can fail.
func meanColourFill(image: Image, mask: Mask) -> Image {
    let statistics = FillMetrics(image: image, mask: mask).ringStatistics
    var pixels = image.pixels
    let channels = image.layout.channels
    for index in 0..<mask.values.count where mask.values[index] == 255 {
        for c in 0..<3 {
            pixels[index * channels + c] = UInt8(statistics[c].mean.rounded())
        }
    }
    return Image(width: image.width, height: image.height, layout: image.layout, pixels: pixels)
}
