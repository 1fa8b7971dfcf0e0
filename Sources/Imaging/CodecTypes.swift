/// Limits that a decoder checks against the image header before it allocates pixel memory.
public struct DecodeLimits: Sendable {
    /// The largest accepted image, in millions of pixels (width times height divided by 1,000,000).
    public var maxMegapixels: Double

    public init(maxMegapixels: Double = 100) {
        self.maxMegapixels = maxMegapixels
    }

    /// Throws `.tooLarge` or `.zeroDimensions` for a header size that must not be decoded.
    func check(width: Int, height: Int, format: ImageFileFormat) throws(ImageDecodingError) {
        guard width > 0, height > 0 else {
            throw .zeroDimensions(format: format, width: width, height: height)
        }
        if Double(width) * Double(height) > maxMegapixels * 1_000_000 {
            throw .tooLarge(width: width, height: height, maxMegapixels: maxMegapixels)
        }
    }
}

/// Metadata carried from a decoded file to an encoded one.
///
/// `exif` is the TIFF structure that starts with the byte-order mark (`II*\0` or `MM\0*`), without the
/// `Exif\0\0` prefix of the JPEG APP1 segment. `icc` is an ICC profile that describes the pixels: the decoder
/// sets it to nil after converting the pixels to sRGB, so an encoder never tags sRGB pixels with the
/// source profile. `xmp` is the XMP packet as UTF-8 bytes.
public struct ImageMetadata: Sendable, Equatable {
    public var exif: [UInt8]?
    public var icc: [UInt8]?
    public var xmp: [UInt8]?
    /// The EXIF orientation 1...8 as stored in the file, or 1 when the file has none.
    public var orientation: Int

    public init(exif: [UInt8]? = nil, icc: [UInt8]? = nil, xmp: [UInt8]? = nil, orientation: Int = 1) {
        self.exif = exif
        self.icc = icc
        self.xmp = xmp
        self.orientation = orientation
    }
}

/// The result of decoding an image file.
public struct DecodedImage: Sendable {
    /// The pixels, turned upright and converted to sRGB.
    public var image: Image
    public var format: ImageFileFormat
    public var metadata: ImageMetadata
    /// Problems that did not stop decoding, as sentences for the job log.
    public var warnings: [String]

    public init(image: Image, format: ImageFileFormat, metadata: ImageMetadata, warnings: [String] = []) {
        self.image = image
        self.format = format
        self.metadata = metadata
        self.warnings = warnings
    }
}

/// Settings for `ImageEncoder.encode`.
///
/// JPEG output uses 4:4:4 chroma (no subsampling) when `quality` is 90 or more and 4:2:0 below, because
/// at high quality people expect sharp coloured edges and at lower quality they expect small files.
/// WebP output is lossless when `quality` is 100. PNG ignores `quality`, and the other formats ignore
/// `pngCompressionLevel`.
public struct EncodeOptions: Sendable {
    public var format: ImageFileFormat
    /// JPEG and WebP quality, 1...100.
    public var quality: Int
    /// zlib compression level for PNG, 0 (none) ... 9 (smallest).
    public var pngCompressionLevel: Int
    /// Metadata to embed, or nil to write none. EXIF is written with the orientation reset to 1 and without
    /// the thumbnail, because encoders receive upright pixels.
    public var metadata: ImageMetadata?

    public init(
        format: ImageFileFormat,
        quality: Int = 90,
        pngCompressionLevel: Int = 6,
        metadata: ImageMetadata? = nil
    ) {
        self.format = format
        self.quality = quality
        self.pngCompressionLevel = pngCompressionLevel
        self.metadata = metadata
    }
}
