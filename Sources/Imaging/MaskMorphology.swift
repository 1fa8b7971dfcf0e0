/// Dilation and Gaussian blur of 8-bit masks, the building blocks of grow, feather and inpaint blending.
enum MaskMorphology {
    /// Grey dilation with a disc of `radius` pixels: every value spreads to all pixels whose centres lie
    /// within `radius` of its own (the footprint `dx² + dy² <= radius²`). Pixels beyond the border are
    /// ignored, which equals SciPy's `grey_dilation(mode: "nearest")` for this footprint.
    static func dilatedWithDisc(_ mask: Mask, radius: Int) -> Mask {
        guard radius > 0 else { return mask }
        let halfWidths = (0...radius).map { dy in integerSquareRoot(radius * radius - dy * dy) }
        return appliedNearNonZero(mask, margin: radius) { region in
            dilated(region, rowRadius: radius) { dy in halfWidths[abs(dy)] }
        }
    }

    /// Grey dilation with a (2 · radius + 1)-pixel square.
    static func dilatedWithSquare(_ mask: Mask, radius: Int) -> Mask {
        guard radius > 0 else { return mask }
        return appliedNearNonZero(mask, margin: radius) { region in
            dilated(region, rowRadius: radius) { _ in radius }
        }
    }

    /// Applies a local filter only to the bounding box of the non-zero values widened by `margin`, the
    /// filter's reach, and leaves zeros elsewhere.
    ///
    /// This is exact for filters that map an all-zero neighbourhood to zero (dilation, Gaussian blur).
    /// Where the region's edge lies inside the mask, the band of at least `margin` zeros along it gives
    /// edge handling (clamping or mirroring) the same zeros that the full mask has there.
    static func appliedNearNonZero(_ mask: Mask, margin: Int, _ filter: (Mask) -> Mask) -> Mask {
        guard let box = Inpaint.boundingBox(of: mask) else { return mask }
        let left = max(box.x - margin, 0)
        let top = max(box.y - margin, 0)
        let right = min(box.x + box.width + margin, mask.width)
        let bottom = min(box.y + box.height + margin, mask.height)
        guard left > 0 || top > 0 || right < mask.width || bottom < mask.height else { return filter(mask) }

        let region = filter(mask.cropped(x: left, y: top, width: right - left, height: bottom - top))
        var output = Mask(width: mask.width, height: mask.height)
        for y in 0..<region.height {
            let start = (top + y) * mask.width + left
            output.values.replaceSubrange(
                start..<(start + region.width),
                with: region.values[(y * region.width)..<((y + 1) * region.width)]
            )
        }
        return output
    }

    /// Grey erosion with a disc, computed as the dilation of the inverted mask.
    static func erodedWithDisc(_ mask: Mask, radius: Int) -> Mask {
        inverted(dilatedWithDisc(inverted(mask), radius: radius))
    }

    static func inverted(_ mask: Mask) -> Mask {
        Mask(width: mask.width, height: mask.height, values: mask.values.map { 255 - $0 })
    }

    /// Dilates with a footprint made of one horizontal segment of half-width `halfWidth(dy)` per row
    /// offset `dy` in `-rowRadius...rowRadius`.
    private static func dilated(_ mask: Mask, rowRadius: Int, halfWidth: @escaping @Sendable (Int) -> Int) -> Mask {
        let width = mask.width
        let height = mask.height
        let rowIsEmpty = (0..<height).map { row in
            !mask.values[(row * width)..<((row + 1) * width)].contains { $0 != 0 }
        }
        var output = [UInt8](repeating: 0, count: mask.values.count)

        // One unused weight: `withRowAccess` skips its body when any array is empty.
        ResampleConvolution.withRowAccess(mask.values, [UInt8(0)], &output) { source, _, destination in
            ResampleConvolution.forEachRowChunk(height) { chunk in
                var filter = RowMaxFilter(count: width, maxRadius: rowRadius)
                for row in chunk {
                    let outputRow = destination.address + row * width
                    for dy in -rowRadius...rowRadius {
                        let sourceRow = row + dy
                        guard sourceRow >= 0, sourceRow < height, !rowIsEmpty[sourceRow] else { continue }
                        filter.accumulateMax(
                            of: source.address + sourceRow * width,
                            radius: halfWidth(dy),
                            into: outputRow
                        )
                    }
                }
            }
        }
        return Mask(width: width, height: height, values: output)
    }

    private static func integerSquareRoot(_ value: Int) -> Int {
        var root = Int(Double(value).squareRoot())
        while root * root > value { root -= 1 }
        while (root + 1) * (root + 1) <= value { root += 1 }
        return root
    }
}

/// A running maximum over a window of ±radius pixels along one row (van Herk / Gil-Werman).
struct RowMaxFilter {
    private let count: Int
    private var padded: [UInt8]
    private var forward: [UInt8]
    private var backward: [UInt8]

    init(count: Int, maxRadius: Int) {
        self.count = count
        let capacity = count + 2 * maxRadius
        padded = [UInt8](repeating: 0, count: capacity)
        forward = padded
        backward = padded
    }

    /// Sets `output[x]` to the maximum of itself and `row[x - radius ... x + radius]`.
    mutating func accumulateMax(of row: UnsafePointer<UInt8>, radius: Int, into output: UnsafeMutablePointer<UInt8>) {
        let length = count + 2 * radius
        let block = 2 * radius + 1
        for i in 0..<length {
            let x = i - radius
            padded[i] = x >= 0 && x < count ? row[x] : 0
        }
        for start in stride(from: 0, to: length, by: block) {
            let end = min(start + block, length)
            forward[start] = padded[start]
            for i in (start + 1)..<max(end, start + 1) { forward[i] = max(forward[i - 1], padded[i]) }
            backward[end - 1] = padded[end - 1]
            for i in stride(from: end - 2, through: start, by: -1) { backward[i] = max(backward[i + 1], padded[i]) }
        }
        for x in 0..<count {
            output[x] = max(output[x], max(backward[x], forward[x + 2 * radius]))
        }
    }
}
