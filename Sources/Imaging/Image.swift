/// How the channels of one pixel are laid out in an `Image`.
public enum PixelLayout: Int, Sendable, Equatable, CaseIterable {
    case gray = 1
    case grayAlpha = 2
    case rgb = 3
    case rgba = 4

    /// Bytes per pixel; every channel is 8 bits.
    public var channels: Int { rawValue }

    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }
}

/// An 8-bit image in memory: rows top to bottom, pixels interleaved, no row padding.
///
/// Decoders return images already turned upright (EXIF orientation applied) and in sRGB, so every
/// later stage works in one frame and one colour space.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let layout: PixelLayout
    public var pixels: [UInt8]

    public init(width: Int, height: Int, layout: PixelLayout, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "An image needs a positive width and height")
        precondition(pixels.count == width * height * layout.channels, "The pixel count must match the size and layout")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    /// Creates an image with every channel of every pixel set to `value`.
    public init(width: Int, height: Int, layout: PixelLayout, filledWith value: UInt8 = 0) {
        self.init(
            width: width,
            height: height,
            layout: layout,
            pixels: [UInt8](repeating: value, count: width * height * layout.channels)
        )
    }

    public var bytesPerRow: Int { width * layout.channels }
}

/// A single-channel 8-bit mask: 255 edits a pixel fully, 0 leaves it alone, values between blend.
public struct Mask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [UInt8]

    public init(width: Int, height: Int, values: [UInt8]) {
        precondition(width > 0 && height > 0, "A mask needs a positive width and height")
        precondition(values.count == width * height, "The value count must match the size")
        self.width = width
        self.height = height
        self.values = values
    }

    public init(width: Int, height: Int, filledWith value: UInt8 = 0) {
        self.init(width: width, height: height, values: [UInt8](repeating: value, count: width * height))
    }

    /// Whether no pixel is selected at all.
    public var isEmpty: Bool { !values.contains(where: { $0 != 0 }) }
}
