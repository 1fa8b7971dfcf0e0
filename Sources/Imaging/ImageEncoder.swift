/// Encodes images as PNG, JPEG or WebP files.
public enum ImageEncoder {
    /// Encodes `image` in `options.format` with the metadata in `options.metadata`.
    ///
    /// HEIF output is not supported. JPEG has no alpha channel, so JPEG output drops alpha without
    /// compositing onto a background.
    public static func encode(_ image: Image, options: EncodeOptions) throws(ImageEncodingError) -> [UInt8] {
        switch options.format {
        case .png: try PNGEncoder.encode(image, level: options.pngCompressionLevel, metadata: options.metadata)
        case .jpeg: try JPEGEncoder.encode(image, quality: options.quality, metadata: options.metadata)
        case .webp: try WebPEncoder.encode(image, quality: options.quality, metadata: options.metadata)
        case .heif: throw .unsupportedFormat(.heif)
        }
    }
}
