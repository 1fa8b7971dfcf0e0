extension Image {
    /// Applies an EXIF orientation (1...8) to stored pixels and returns the upright image.
    ///
    /// Orientations 5 to 8 swap width and height. Values outside 1...8 return the image unchanged,
    /// as viewers treat them like 1.
    public func oriented(_ exifOrientation: Int) -> Image {
        guard (2...8).contains(exifOrientation) else {
            return self
        }
        let swapsAxes = exifOrientation >= 5
        let outputWidth = swapsAxes ? height : width
        let outputHeight = swapsAxes ? width : height
        let channels = layout.channels
        var output = [UInt8](repeating: 0, count: pixels.count)

        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for y in 0..<outputHeight {
                    for x in 0..<outputWidth {
                        let (sourceX, sourceY) = sourceCoordinate(x: x, y: y, orientation: exifOrientation)
                        let from = (sourceY * width + sourceX) * channels
                        let to = (y * outputWidth + x) * channels
                        for channel in 0..<channels {
                            destination[to + channel] = source[from + channel]
                        }
                    }
                }
            }
        }
        return Image(width: outputWidth, height: outputHeight, layout: layout, pixels: output)
    }

    /// Maps an output pixel of the upright image to the stored pixel it comes from.
    private func sourceCoordinate(x: Int, y: Int, orientation: Int) -> (Int, Int) {
        switch orientation {
        case 2: (width - 1 - x, y)  // mirrored horizontally
        case 3: (width - 1 - x, height - 1 - y)  // rotated 180°
        case 4: (x, height - 1 - y)  // mirrored vertically
        case 5: (y, x)  // transposed
        case 6: (y, height - 1 - x)  // stored turned 90° counter-clockwise, shown turned back clockwise
        case 7: (width - 1 - y, height - 1 - x)  // transversed
        case 8: (width - 1 - y, x)  // stored turned 90° clockwise, shown turned back counter-clockwise
        default: (x, y)
        }
    }
}
