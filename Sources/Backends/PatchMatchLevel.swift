internal import Imaging

/// One level of the image pyramid that the fill works on: pixel values as Float, interleaved, with the
/// image's channel count, plus which pixels are unknown and which the fill rewrites.
struct FillLevel {
    let width: Int
    let height: Int
    let channels: Int
    /// Channels that patch distances compare: all of them except a trailing alpha channel.
    let colourChannels: Int
    /// Known pixel values; meaningless where `isUnknown` is set.
    let source: FillBuffer<Float>
    /// The current estimate: equal to `source` outside the target, synthesised inside it.
    let estimate: FillBuffer<Float>
    /// Pixels without a usable value, which no source patch may contain.
    let isUnknown: FillBuffer<Bool>
    /// Pixels the fill rewrites; a superset of the unknown pixels.
    let isTarget: FillBuffer<Bool>

    var pixelCount: Int { width * height }

    /// Creates the full-size level: mask values of `unknownThreshold` and above are unknown, and every
    /// pixel with a non-zero mask value is a target.
    init(image: Image, mask: Mask, unknownThreshold: UInt8) {
        let values = image.pixels.map { Float($0) }
        width = image.width
        height = image.height
        channels = image.layout.channels
        colourChannels = image.layout.hasAlpha ? channels - 1 : channels
        source = FillBuffer(values)
        estimate = FillBuffer(values)
        isUnknown = FillBuffer(mask.values.map { $0 >= unknownThreshold })
        isTarget = FillBuffer(mask.values.map { $0 > 0 })
    }

    private init(width: Int, height: Int, channels: Int, colourChannels: Int) {
        self.width = width
        self.height = height
        self.channels = channels
        self.colourChannels = colourChannels
        source = FillBuffer(repeating: 0, count: width * height * channels)
        estimate = FillBuffer(repeating: 0, count: width * height * channels)
        isUnknown = FillBuffer(repeating: false, count: width * height)
        isTarget = FillBuffer(repeating: false, count: width * height)
    }

    /// Returns the level at half the size (rounded up).
    ///
    /// A coarse pixel is unknown when any of its up to four fine pixels is unknown, so coarse source
    /// patches never carry a trace of the hole, and it is a target when any of them is a target. Its
    /// value is the mean of its known fine pixels.
    func halved() -> FillLevel {
        let coarse = FillLevel(
            width: (width + 1) / 2,
            height: (height + 1) / 2,
            channels: channels,
            colourChannels: colourChannels
        )
        var sums = [Float](repeating: 0, count: channels)
        for y in 0..<coarse.height {
            for x in 0..<coarse.width {
                let index = y * coarse.width + x
                var knownCount = 0
                for c in 0..<channels { sums[c] = 0 }
                for fineY in (2 * y)..<min(2 * y + 2, height) {
                    for fineX in (2 * x)..<min(2 * x + 2, width) {
                        let fine = fineY * width + fineX
                        if isTarget[fine] { coarse.isTarget[index] = true }
                        if isUnknown[fine] {
                            coarse.isUnknown[index] = true
                            continue
                        }
                        knownCount += 1
                        for c in 0..<channels { sums[c] += source[fine * channels + c] }
                    }
                }
                guard knownCount > 0 else { continue }
                for c in 0..<channels {
                    coarse.source[index * channels + c] = sums[c] / Float(knownCount)
                }
            }
        }
        coarse.estimate.assign(from: coarse.source)
        return coarse
    }

    /// Returns, for every pixel, 1 when it is known and `base` to the power of minus its distance from the
    /// nearest known pixel (in 8-connected steps, at most `maximumDistance`) when it is unknown.
    func makeConfidence(base: Float, maximumDistance: Int) -> FillBuffer<Float> {
        let confidence = FillBuffer<Float>(repeating: 1, count: pixelCount)
        var isReached = (0..<pixelCount).map { !isUnknown[$0] }
        // Start from the known pixels next to the hole, so the frontier grows with the hole, not the image.
        var frontier = (0..<pixelCount).filter { isReached[$0] && hasUnknownNeighbour($0) }
        var value: Float = 1
        var distance = 0
        while !frontier.isEmpty {
            distance += 1
            if distance <= maximumDistance { value /= base }
            var next: [Int] = []
            for index in frontier {
                let x = index % width
                let y = index / width
                for neighbourY in max(y - 1, 0)...min(y + 1, height - 1) {
                    for neighbourX in max(x - 1, 0)...min(x + 1, width - 1) {
                        let neighbour = neighbourY * width + neighbourX
                        guard !isReached[neighbour] else { continue }
                        isReached[neighbour] = true
                        confidence[neighbour] = value
                        next.append(neighbour)
                    }
                }
            }
            frontier = next
        }
        return confidence
    }

    private func hasUnknownNeighbour(_ index: Int) -> Bool {
        let x = index % width
        let y = index / width
        for neighbourY in max(y - 1, 0)...min(y + 1, height - 1) {
            for neighbourX in max(x - 1, 0)...min(x + 1, width - 1) where isUnknown[neighbourY * width + neighbourX] {
                return true
            }
        }
        return false
    }

    /// Returns the centres of the patches the fill may copy from: whole patches inside the level with no
    /// unknown pixel.
    func makeSourceCentres(radius: Int) -> FillCentres {
        let unknownCounts = SummedAreaTable(width: width, height: height, flags: isUnknown)
        var list: [Int32] = []
        if width > 2 * radius, height > 2 * radius {
            for y in radius..<(height - radius) {
                for x in radius..<(width - radius) {
                    let count = unknownCounts.count(x0: x - radius, y0: y - radius, x1: x + radius, y1: y + radius)
                    if count == 0 { list.append(Int32(y * width + x)) }
                }
            }
        }
        return FillCentres(list: list, pixelCount: pixelCount)
    }

    /// Returns the centres of the patches the fill must match: every patch that touches a target pixel,
    /// including patches cut by the border of the level.
    func makeTargetCentres(radius: Int) -> FillCentres {
        let targetCounts = SummedAreaTable(width: width, height: height, flags: isTarget)
        var list: [Int32] = []
        for y in 0..<height {
            for x in 0..<width {
                let count = targetCounts.count(x0: x - radius, y0: y - radius, x1: x + radius, y1: y + radius)
                if count > 0 { list.append(Int32(y * width + x)) }
            }
        }
        return FillCentres(list: list, pixelCount: pixelCount)
    }
}

/// A set of patch centres, as a list of pixel indices in row-major order and as a per-pixel flag.
struct FillCentres {
    let list: [Int32]
    let contains: FillBuffer<Bool>

    init(list: [Int32], pixelCount: Int) {
        self.list = list
        contains = FillBuffer(repeating: false, count: pixelCount)
        for index in list { contains[Int(index)] = true }
    }
}
