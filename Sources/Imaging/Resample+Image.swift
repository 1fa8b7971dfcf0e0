extension Image {
    /// Returns the image resampled to `width` × `height` with Pillow's `Image.resize` semantics.
    ///
    /// Images with alpha are premultiplied before filtering and unpremultiplied afterwards, as Pillow
    /// does for `RGBA` and `LA` with every filter except `.nearest`. A same-size resize returns a copy.
    public func resized(width: Int, height: Int, filter: ResampleFilter = .lanczos3) -> Image {
        precondition(width > 0 && height > 0, "A resize needs a positive width and height")
        guard width != self.width || height != self.height else { return self }

        var raster = ResampleConvolution.Raster(
            width: self.width,
            height: self.height,
            channels: layout.channels,
            pixels: pixels
        )
        let premultiplies = layout.hasAlpha && filter != .nearest
        if premultiplies { AlphaPremultiplication.premultiply(&raster.pixels, channels: layout.channels) }

        raster = ResampleConvolution.resampled(raster, width: width, height: height, filter: filter)

        if premultiplies { AlphaPremultiplication.unpremultiply(&raster.pixels, channels: layout.channels) }
        return Image(width: width, height: height, layout: layout, pixels: raster.pixels)
    }

    /// Returns `region` of the image resampled to `width` × `height`, reading the region in place.
    ///
    /// The bytes equal those of `cropped(x:y:width:height:)` followed by `resized(width:height:filter:)`.
    /// Without alpha this skips the copy of the region. Images with alpha, and a region that already
    /// has the output size, still take the copy, because premultiplication rewrites the pixels.
    public func resized(
        region: (x: Int, y: Int, width: Int, height: Int),
        width: Int,
        height: Int,
        filter: ResampleFilter = .lanczos3
    ) -> Image {
        precondition(width > 0 && height > 0, "A resize needs a positive width and height")
        let copiesRegion =
            (layout.hasAlpha && filter != .nearest) || (region.width == width && region.height == height)
        if copiesRegion {
            let crop = cropped(x: region.x, y: region.y, width: region.width, height: region.height)
            return crop.resized(width: width, height: height, filter: filter)
        }
        precondition(
            region.x >= 0 && region.y >= 0 && region.width > 0 && region.height > 0
                && region.x + region.width <= self.width && region.y + region.height <= self.height,
            "The region \(region.width)x\(region.height) at (\(region.x), \(region.y)) must lie inside the \(self.width)x\(self.height) image"
        )
        let window = ResampleConvolution.Raster(window: region, of: pixels, width: self.width, channels: layout.channels)
        let resized = ResampleConvolution.resampled(window, width: width, height: height, filter: filter)
        return Image(width: width, height: height, layout: layout, pixels: resized.pixels)
    }
}

extension Mask {
    /// Returns the mask resampled like a Pillow `L` image; bilinear by default, as masks usually are.
    public func resized(width: Int, height: Int, filter: ResampleFilter = .bilinear) -> Mask {
        precondition(width > 0 && height > 0, "A resize needs a positive width and height")
        guard width != self.width || height != self.height else { return self }

        let raster = ResampleConvolution.Raster(width: self.width, height: self.height, channels: 1, pixels: values)
        let resized = ResampleConvolution.resampled(raster, width: width, height: height, filter: filter)
        return Mask(width: width, height: height, values: resized.pixels)
    }
}

extension ResampleConvolution {
    static func resampled(_ raster: Raster, width: Int, height: Int, filter: ResampleFilter) -> Raster {
        if filter == .nearest { return nearest(raster, width: width, height: height) }
        return resize(raster, width: width, height: height, filter: filter)
    }
}

/// Pillow's conversions between straight alpha (`RGBA`, `LA`) and premultiplied alpha (`RGBa`, `La`).
enum AlphaPremultiplication {
    /// Multiplies colour by alpha with Pillow's `MULDIV255` rounding.
    static func premultiply(_ pixels: inout [UInt8], channels: Int) {
        for start in stride(from: 0, to: pixels.count, by: channels) {
            let alpha = UInt32(pixels[start + channels - 1])
            for channel in start..<(start + channels - 1) {
                let product = UInt32(pixels[channel]) * alpha + 128
                pixels[channel] = UInt8(((product >> 8) + product) >> 8)
            }
        }
    }

    /// Divides colour by alpha with truncation and clamping; alpha 0 and 255 leave colour unchanged.
    static func unpremultiply(_ pixels: inout [UInt8], channels: Int) {
        for start in stride(from: 0, to: pixels.count, by: channels) {
            let alpha = UInt32(pixels[start + channels - 1])
            guard alpha != 0 && alpha != 255 else { continue }
            for channel in start..<(start + channels - 1) {
                pixels[channel] = UInt8(min(255 * UInt32(pixels[channel]) / alpha, 255))
            }
        }
    }
}
