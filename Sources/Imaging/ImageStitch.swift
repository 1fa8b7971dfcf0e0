/// Options of `ImageStitcher.stitch`, named after the inputs of ComfyUI's `ImageStitch` node.
public struct ImageStitchOptions: Sendable, Equatable {
    /// The side of the canvas built so far on which each further image is placed.
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        case right, left, down, up

        var isHorizontal: Bool { self == .right || self == .left }
    }

    public enum SpacingColor: String, Sendable, Equatable, CaseIterable {
        case white, black, red, green, blue
    }

    public var direction: Direction
    /// Resize each further image with Lanczos to the canvas height (left, right) or width (up, down),
    /// keeping its aspect ratio. Without it the smaller side is padded, centred.
    public var matchSize: Bool
    /// Width of the gap between images in pixels; odd values are rounded up to even, as ComfyUI does.
    public var spacing: Int
    public var spacingColor: SpacingColor

    public init(
        direction: Direction = .right,
        matchSize: Bool = true,
        spacing: Int = 0,
        spacingColor: SpacingColor = .white
    ) {
        self.direction = direction
        self.matchSize = matchSize
        self.spacing = spacing
        self.spacingColor = spacingColor
    }
}

/// Combines several images into one canvas, as a chain of ComfyUI `ImageStitch` nodes does.
public enum ImageStitcher {
    /// Stitches `images` in order: the second joins the first, the third joins that result, and so on.
    ///
    /// With `.left` and `.up` each further image goes before the canvas. The result has colour if any
    /// input has colour, and alpha if any input has alpha (added as opaque). Padding, used when
    /// `matchSize` is off, is white for `.white` and black otherwise (ComfyUI pads with 0 for the three
    /// colours), and applies to alpha too, so black padding is transparent in images with alpha.
    public static func stitch(_ images: [Image], options: ImageStitchOptions) -> Image {
        precondition(!images.isEmpty, "Image stitching needs at least one image")
        precondition(options.spacing >= 0, "The stitch spacing must not be negative")
        return images.dropFirst().reduce(images[0]) { canvas, next in stitchPair(canvas, next, options: options) }
    }

    static func stitchPair(_ first: Image, _ second: Image, options: ImageStitchOptions) -> Image {
        let horizontal = options.direction.isHorizontal
        var image1 = first
        var image2 = second
        if options.matchSize {
            image2 = matched(second, to: first, horizontal: horizontal)
        } else {
            let padValue: UInt8 = options.spacingColor == .white ? 255 : 0
            let length = horizontal ? max(first.height, second.height) : max(first.width, second.width)
            image1 = padded(first, acrossTo: length, horizontal: horizontal, value: padValue)
            image2 = padded(second, acrossTo: length, horizontal: horizontal, value: padValue)
        }

        let layout = commonLayout(image1.layout, image2.layout)
        image1 = InpaintStitcher.converted(image1, to: layout)
        image2 = InpaintStitcher.converted(image2, to: layout)

        var parts = options.direction == .left || options.direction == .up ? [image2, image1] : [image1, image2]
        let gap = options.spacing + options.spacing % 2
        if gap > 0 {
            let across = horizontal ? image1.height : image1.width
            let spacer = solid(
                width: horizontal ? gap : across,
                height: horizontal ? across : gap,
                layout: layout,
                color: options.spacingColor
            )
            parts.insert(spacer, at: 1)
        }
        return concatenated(parts, horizontal: horizontal)
    }

    /// Resizes `image` to the height (or width) of `reference`, truncating the other side like Python's `int()`.
    static func matched(_ image: Image, to reference: Image, horizontal: Bool) -> Image {
        let aspect = Double(image.width) / Double(image.height)
        let width = horizontal ? Int(Double(reference.height) * aspect) : reference.width
        let height = horizontal ? reference.height : Int(Double(reference.width) / aspect)
        return image.resized(width: max(width, 1), height: max(height, 1), filter: .lanczos3)
    }

    static func commonLayout(_ a: PixelLayout, _ b: PixelLayout) -> PixelLayout {
        let colour = a == .rgb || a == .rgba || b == .rgb || b == .rgba
        let alpha = a.hasAlpha || b.hasAlpha
        switch (colour, alpha) {
        case (false, false): return .gray
        case (false, true): return .grayAlpha
        case (true, false): return .rgb
        case (true, true): return .rgba
        }
    }
}
