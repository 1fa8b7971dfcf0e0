extension ImageStitcher {
    /// Pads `image` to `length` rows (horizontal stitching) or columns (vertical), centred with the smaller
    /// half first, as ComfyUI's `pad_h // 2`.
    static func padded(_ image: Image, acrossTo length: Int, horizontal: Bool, value: UInt8) -> Image {
        let current = horizontal ? image.height : image.width
        guard length > current else { return image }
        let before = (length - current) / 2
        var canvas = Image(
            width: horizontal ? image.width : length,
            height: horizontal ? length : image.height,
            layout: image.layout,
            filledWith: value
        )
        canvas.paste(image, x: horizontal ? 0 : before, y: horizontal ? before : 0)
        return canvas
    }

    /// Returns a block of the spacing colour. Alpha, where present, is opaque.
    static func solid(width: Int, height: Int, layout: PixelLayout, color: ImageStitchOptions.SpacingColor) -> Image {
        let rgb: [UInt8] =
            switch color {
            case .white: [255, 255, 255]
            case .black: [0, 0, 0]
            case .red: [255, 0, 0]
            case .green: [0, 255, 0]
            case .blue: [0, 0, 255]
            }
        let pixel = Image(width: 1, height: 1, layout: .rgb, pixels: rgb)
        let converted = InpaintStitcher.converted(pixel, to: layout)
        let pixels = (0..<(width * height)).flatMap { _ in converted.pixels }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Joins images of equal height side by side (horizontal) or of equal width top to bottom.
    static func concatenated(_ parts: [Image], horizontal: Bool) -> Image {
        let layout = parts[0].layout
        let width = horizontal ? parts.reduce(0) { $0 + $1.width } : parts[0].width
        let height = horizontal ? parts[0].height : parts.reduce(0) { $0 + $1.height }
        var canvas = Image(width: width, height: height, layout: layout)
        var offset = 0
        for part in parts {
            canvas.paste(part, x: horizontal ? offset : 0, y: horizontal ? 0 : offset)
            offset += horizontal ? part.width : part.height
        }
        return canvas
    }
}

extension Image {
    /// Copies `image` (same layout, fully inside) into this image with its top-left pixel at (`x`, `y`).
    mutating func paste(_ image: Image, x: Int, y: Int) {
        precondition(image.layout == layout, "Pasting needs images of the same layout")
        precondition(
            x >= 0 && y >= 0 && x + image.width <= width && y + image.height <= height,
            "The pasted image must lie inside the canvas"
        )
        let rowBytes = image.bytesPerRow
        for row in 0..<image.height {
            let target = ((y + row) * width + x) * layout.channels
            pixels.replaceSubrange(
                target..<(target + rowBytes),
                with: image.pixels[(row * rowBytes)..<((row + 1) * rowBytes)]
            )
        }
    }
}
