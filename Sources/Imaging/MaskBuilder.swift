/// Builds the edit mask of a job from a mask image, the image's alpha channel or shapes, and refines it.
public enum MaskBuilder {
    /// Reads a mask image: white edits, black keeps, grey blends.
    ///
    /// Colour is reduced to luminance with Pillow's `L` conversion (ITU-R 601-2 weights
    /// 19595/38470/7471 over 65536, rounded). A mask image with alpha counts transparent pixels as black,
    /// so the luminance is multiplied by alpha. `width` × `height` is the size of the image being edited.
    public static func fromImage(_ image: Image, width: Int, height: Int) throws(MaskError) -> Mask {
        guard image.width == width, image.height == height else {
            throw .sizeMismatch(
                maskWidth: image.width,
                maskHeight: image.height,
                imageWidth: width,
                imageHeight: height
            )
        }
        let channels = image.layout.channels
        var values = [UInt8](repeating: 0, count: width * height)
        for index in values.indices {
            let pixel = index * channels
            var value: UInt32
            switch image.layout {
            case .gray, .grayAlpha:
                value = UInt32(image.pixels[pixel])
            case .rgb, .rgba:
                let red = UInt32(image.pixels[pixel]) * 19595
                let green = UInt32(image.pixels[pixel + 1]) * 38470
                let blue = UInt32(image.pixels[pixel + 2]) * 7471
                value = (red + green + blue + 0x8000) >> 16
            }
            if image.layout.hasAlpha {
                value = (value * UInt32(image.pixels[pixel + channels - 1]) + 127) / 255
            }
            values[index] = UInt8(value)
        }
        return Mask(width: width, height: height, values: values)
    }

    /// Selects the transparent pixels of `image`: alpha 0 edits fully, alpha 255 keeps, values between blend.
    public static func fromAlpha(_ image: Image) throws(MaskError) -> Mask {
        guard image.layout.hasAlpha else { throw .missingAlpha(layout: image.layout) }
        let channels = image.layout.channels
        let values = (0..<(image.width * image.height)).map { 255 - image.pixels[$0 * channels + channels - 1] }
        return Mask(width: image.width, height: image.height, values: values)
    }

    /// Rasterises the union of `shapes` with anti-aliased edges.
    ///
    /// Each pixel's value is its covered area times 255: exact along x, and sampled on four lines per
    /// pixel along y. Overlapping shapes take the maximum. Invalid shapes (see `MaskShape2D.validate`)
    /// select nothing.
    public static func fromShapes(_ shapes: [MaskShape2D], width: Int, height: Int) -> Mask {
        MaskRasterizer.rasterize(shapes, width: width, height: height)
    }

    /// Applies the sidecar's refinements in this order: invert, grow, feather.
    ///
    /// - `invert` swaps the edited and kept areas.
    /// - `grow` dilates the edited area by that many pixels with a disc, so corners grow round. A negative
    ///   value erodes it by the same disc.
    /// - `feather` blurs the result with a Gaussian of that standard deviation in pixels (truncated at 4σ,
    ///   mirrored borders), softening the edge over about ±2σ.
    public static func refined(_ mask: Mask, invert: Bool, grow: Int, feather: Double) -> Mask {
        var result = invert ? MaskMorphology.inverted(mask) : mask
        if grow > 0 {
            result = MaskMorphology.dilatedWithDisc(result, radius: grow)
        } else if grow < 0 {
            result = MaskMorphology.erodedWithDisc(result, radius: -grow)
        }
        if feather > 0 {
            result = MaskGaussianBlur.blurred(result, sigma: feather)
        }
        return result
    }
}

/// Scan conversion of `MaskShape2D` values into coverage.
enum MaskRasterizer {
    /// Sample lines per pixel row.
    static let linesPerRow = 4

    static func rasterize(_ shapes: [MaskShape2D], width: Int, height: Int) -> Mask {
        let drawable = shapes.filter { (try? $0.validate()) != nil }
        var values = [UInt8](repeating: 0, count: width * height)
        var coverage = [Double](repeating: 0, count: width)

        for row in 0..<height {
            for shape in drawable {
                let range = shape.verticalRange
                guard Double(row + 1) > range.lowerBound, Double(row) < range.upperBound else { continue }
                for i in coverage.indices { coverage[i] = 0 }
                accumulateCoverage(of: shape, row: row, into: &coverage)
                for x in 0..<width {
                    let value = UInt8(clamping: Int((min(coverage[x], 1) * 255).rounded()))
                    values[row * width + x] = max(values[row * width + x], value)
                }
            }
        }
        return Mask(width: width, height: height, values: values)
    }

    private static func accumulateCoverage(of shape: MaskShape2D, row: Int, into coverage: inout [Double]) {
        let lineWeight = 1 / Double(linesPerRow)
        let width = coverage.count
        for line in 0..<linesPerRow {
            let y = Double(row) + (Double(line) + 0.5) * lineWeight
            for span in shape.spans(atY: y) {
                let start = max(span.start, 0)
                let end = min(span.end, Double(width))
                guard start < end else { continue }
                for x in Int(start.rounded(.down))..<Int(end.rounded(.up)) {
                    let overlap = min(end, Double(x + 1)) - max(start, Double(x))
                    coverage[x] += overlap * lineWeight
                }
            }
        }
    }
}
