/// Decodes PNG, JPEG, WebP and HEIF files into upright sRGB images.
public enum ImageDecoder {
    /// Decodes an image file recognised by its magic bytes, checks its size against `limits` before
    /// allocating pixels, converts embedded ICC colour to sRGB and applies the EXIF orientation.
    ///
    /// Decoding is CPU-bound and blocking, so run it off the cooperative thread pool for large images.
    public static func decode(
        _ bytes: [UInt8],
        limits: DecodeLimits = DecodeLimits()
    ) throws(ImageDecodingError) -> DecodedImage {
        let format = try detectFormat(bytes)
        var raw: RawDecodedImage
        switch format {
        case .png: raw = try PNGDecoder.decode(bytes, limits: limits)
        case .jpeg: raw = try JPEGDecoder.decode(bytes, limits: limits)
        case .webp: raw = try WebPCodec.decode(bytes, limits: limits)
        case .heif: raw = try HEIFDecoder.decode(bytes, limits: limits)
        }

        if let warning = raw.metadata.readOrientationFromEXIF() {
            raw.warnings.append(warning)
        }
        if let icc = raw.metadata.icc {
            let conversion = ColorManagement.convertToSRGB(raw.image, profile: icc)
            raw.image = conversion.image
            raw.warnings += conversion.warnings
            if !conversion.keepsProfile {
                raw.metadata.icc = nil
            }
        }
        if raw.appliesEXIFOrientation {
            raw.image = raw.image.oriented(raw.metadata.orientation)
        }
        return DecodedImage(image: raw.image, format: format, metadata: raw.metadata, warnings: raw.warnings)
    }

    /// Detects the format or throws the error that best explains why the bytes are not a supported image.
    static func detectFormat(_ bytes: [UInt8]) throws(ImageDecodingError) -> ImageFileFormat {
        guard !bytes.isEmpty else {
            throw .emptyFile
        }
        if let format = ImageFileFormat.detect(bytes) {
            return format
        }
        let head = Array(bytes.prefix(64))
        if let name = ImageFileFormat.unsupportedFormatName(head) {
            throw .unsupportedFormat(name: name)
        }
        if bytes.count < ImageFileFormat.detectionByteCount {
            throw .tooShort(byteCount: bytes.count)
        }
        throw .unknownFormat(head: Array(head.prefix(8)))
    }
}

/// A format decoder's result, before colour management and orientation.
struct RawDecodedImage {
    var image: Image
    var metadata: ImageMetadata
    var warnings: [String] = []
    /// False for HEIF, where libheif already applied the container's rotation and mirroring.
    var appliesEXIFOrientation = true
}
