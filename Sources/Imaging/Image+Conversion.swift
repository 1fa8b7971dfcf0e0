extension Image {
    /// Converts the pixels to another channel layout.
    ///
    /// Colour to grey uses the BT.601 luma weights (0.299 R + 0.587 G + 0.114 B) that JPEG also uses.
    /// Removing alpha keeps the colour values and drops the alpha channel without compositing onto a
    /// background. Adding alpha makes every pixel opaque (255).
    public func converted(to target: PixelLayout) -> Image {
        guard target != layout else {
            return self
        }
        let pixelCount = width * height
        let sourceChannels = layout.channels
        let targetChannels = target.channels
        var output = [UInt8](repeating: 255, count: pixelCount * targetChannels)

        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for index in 0..<pixelCount {
                    let from = index * sourceChannels
                    let to = index * targetChannels
                    let color = colorOf(source, at: from)
                    if target == .gray || target == .grayAlpha {
                        destination[to] = Self.luma(color)
                    } else {
                        destination[to] = color.0
                        destination[to + 1] = color.1
                        destination[to + 2] = color.2
                    }
                    if target.hasAlpha && layout.hasAlpha {
                        destination[to + targetChannels - 1] = source[from + sourceChannels - 1]
                    }
                }
            }
        }
        return Image(width: width, height: height, layout: target, pixels: output)
    }

    /// Reads the red, green and blue of one pixel, repeating grey into all three.
    private func colorOf(_ source: UnsafeBufferPointer<UInt8>, at offset: Int) -> (UInt8, UInt8, UInt8) {
        switch layout {
        case .gray, .grayAlpha:
            (source[offset], source[offset], source[offset])
        case .rgb, .rgba:
            (source[offset], source[offset + 1], source[offset + 2])
        }
    }

    /// Computes BT.601 luma in 16.16 fixed point, rounded to the nearest value.
    static func luma(_ color: (UInt8, UInt8, UInt8)) -> UInt8 {
        let weighted = 19595 * Int(color.0) + 38470 * Int(color.1) + 7471 * Int(color.2)
        return UInt8((weighted + 32768) >> 16)
    }
}
