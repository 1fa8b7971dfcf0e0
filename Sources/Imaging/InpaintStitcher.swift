/// The record that puts an edited crop back into the original image. `Inpaint.crop` creates it.
public struct InpaintStitcher: Sendable {
    /// The crop in original-image coordinates. It may leave the image, where the crop replicated edges.
    public var cropRect: InpaintRect
    /// The weight of the edited pixels over `cropRect`, at crop resolution: 0 keeps the original byte.
    public var blendMask: Mask
    /// The size the model received, and normally returns.
    public var targetWidth: Int
    public var targetHeight: Int
    public var upscaleFilter: ResampleFilter
    public var downscaleFilter: ResampleFilter
    /// The size of the image that was cropped. `stitch` requires an image of this size.
    public var imageWidth: Int
    public var imageHeight: Int

    /// Blends `edited` into `original` over the crop rectangle and returns the result.
    ///
    /// `edited` is resized back to the crop's size (any size is accepted) and converted to the original's
    /// layout; an edit without alpha counts as opaque. Every pixel outside the crop rectangle, and every
    /// pixel whose blend weight is 0, is copied from `original` unchanged. Elsewhere the result is
    /// `round((w · edited + (255 - w) · original) / 255)` per channel.
    public func stitch(_ edited: Image, into original: Image) -> Image {
        precondition(
            original.width == imageWidth && original.height == imageHeight,
            "Stitching needs the \(imageWidth)x\(imageHeight) image that was cropped, not \(original.width)x\(original.height)"
        )
        let rect = cropRect
        let enlarges = rect.width > edited.width || rect.height > edited.height
        let resized =
            edited
            .resized(width: rect.width, height: rect.height, filter: enlarges ? upscaleFilter : downscaleFilter)
        let patch = Self.converted(resized, to: original.layout)

        var output = original
        let channels = original.layout.channels
        let rows = max(rect.y, 0)..<min(rect.y + rect.height, original.height)
        let columns = max(rect.x, 0)..<min(rect.x + rect.width, original.width)
        for y in rows {
            for x in columns {
                let weight = UInt32(blendMask.values[(y - rect.y) * rect.width + (x - rect.x)])
                guard weight != 0 else { continue }
                let target = (y * original.width + x) * channels
                let source = ((y - rect.y) * rect.width + (x - rect.x)) * channels
                for channel in 0..<channels {
                    let editedValue = UInt32(patch.pixels[source + channel])
                    let originalValue = UInt32(original.pixels[target + channel])
                    output.pixels[target + channel] = UInt8(
                        (editedValue * weight + originalValue * (255 - weight) + 127) / 255
                    )
                }
            }
        }
        return output
    }

    /// Converts between layouts: grey to colour by repetition, colour to grey with Pillow's `L` weights,
    /// and a missing alpha channel as 255.
    static func converted(_ image: Image, to layout: PixelLayout) -> Image {
        guard image.layout != layout else { return image }
        let inputChannels = image.layout.channels
        var pixels = [UInt8]()
        pixels.reserveCapacity(image.width * image.height * layout.channels)
        for start in stride(from: 0, to: image.pixels.count, by: inputChannels) {
            let isColour = image.layout == .rgb || image.layout == .rgba
            let red = image.pixels[start]
            let green = isColour ? image.pixels[start + 1] : red
            let blue = isColour ? image.pixels[start + 2] : red
            let alpha = image.layout.hasAlpha ? image.pixels[start + inputChannels - 1] : 255
            switch layout {
            case .gray, .grayAlpha:
                let luminance = (UInt32(red) * 19595 + UInt32(green) * 38470 + UInt32(blue) * 7471 + 0x8000) >> 16
                pixels.append(UInt8(luminance))
            case .rgb, .rgba:
                pixels.append(contentsOf: [red, green, blue])
            }
            if layout.hasAlpha { pixels.append(alpha) }
        }
        return Image(width: image.width, height: image.height, layout: layout, pixels: pixels)
    }
}
