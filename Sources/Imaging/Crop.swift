extension Image {
    /// Returns the `width` × `height` region whose top-left pixel is (`x`, `y`).
    ///
    /// The region must lie inside the image; use `croppedReplicatingEdges` for regions that leave it.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Image {
        precondition(
            x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= self.width && y + height <= self.height,
            "The crop \(width)x\(height) at (\(x), \(y)) must lie inside the \(self.width)x\(self.height) image"
        )
        let channels = layout.channels
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * channels)
        for row in y..<(y + height) {
            let start = (row * self.width + x) * channels
            pixels.append(contentsOf: self.pixels[start..<(start + width * channels)])
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Returns a region that may extend past the image, filling the outside with the nearest edge pixel.
    ///
    /// This is the edge-replicated canvas of ComfyUI-Inpaint-CropAndStitch, cropped in one step.
    public func croppedReplicatingEdges(x: Int, y: Int, width: Int, height: Int) -> Image {
        precondition(width > 0 && height > 0, "A crop needs a positive width and height")
        let channels = layout.channels
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var index = 0
        for row in 0..<height {
            let sourceRow = min(max(y + row, 0), self.height - 1)
            for column in 0..<width {
                let sourceColumn = min(max(x + column, 0), self.width - 1)
                let start = (sourceRow * self.width + sourceColumn) * channels
                for channel in 0..<channels {
                    pixels[index] = self.pixels[start + channel]
                    index += 1
                }
            }
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }
}

extension Mask {
    /// Returns the `width` × `height` region whose top-left value is (`x`, `y`); it must lie inside the mask.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Mask {
        precondition(
            x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= self.width && y + height <= self.height,
            "The crop \(width)x\(height) at (\(x), \(y)) must lie inside the \(self.width)x\(self.height) mask"
        )
        var values = [UInt8]()
        values.reserveCapacity(width * height)
        for row in y..<(y + height) {
            let start = row * self.width + x
            values.append(contentsOf: self.values[start..<(start + width)])
        }
        return Mask(width: width, height: height, values: values)
    }

    /// Returns a region that may extend past the mask, filling the outside with `outsideValue`.
    public func cropped(x: Int, y: Int, width: Int, height: Int, outsideValue: UInt8) -> Mask {
        precondition(width > 0 && height > 0, "A crop needs a positive width and height")
        var values = [UInt8](repeating: outsideValue, count: width * height)
        for row in max(0, -y)..<min(height, self.height - y) {
            let columns = max(0, -x)..<min(width, self.width - x)
            guard !columns.isEmpty else { break }
            let source = (y + row) * self.width + x
            for column in columns {
                values[row * width + column] = self.values[source + column]
            }
        }
        return Mask(width: width, height: height, values: values)
    }
}
