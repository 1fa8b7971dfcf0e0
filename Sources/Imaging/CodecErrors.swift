/// A failure to decode an image file, with the value at fault.
public enum ImageDecodingError: Error, Equatable, CustomStringConvertible {
    /// The file has no bytes at all.
    case emptyFile
    /// The file is too short to contain the magic bytes of any image format.
    case tooShort(byteCount: Int)
    /// The bytes are those of a known format that the daemon does not decode, such as GIF.
    case unsupportedFormat(name: String)
    /// The bytes match no known image format. `head` contains the first bytes.
    case unknownFormat(head: [UInt8])
    /// The file ends before the image data does.
    case truncated(format: ImageFileFormat, detail: String)
    /// The data is not valid for its format.
    case corrupt(format: ImageFileFormat, detail: String)
    /// The header declares a width or height of zero.
    case zeroDimensions(format: ImageFileFormat, width: Int, height: Int)
    /// The header declares more pixels than `DecodeLimits.maxMegapixels` allows.
    case tooLarge(width: Int, height: Int, maxMegapixels: Double)
    /// The format is supported but this variant of it is not, such as an animated WebP.
    case unsupportedFeature(format: ImageFileFormat, detail: String)

    public var description: String {
        switch self {
        case .emptyFile:
            return "The image file is empty (0 bytes); copy the complete file into the inbox again."
        case .tooShort(let byteCount):
            return
                "The file is too short to be an image (\(byteCount) bytes); copy the complete file into the inbox again."
        case .unsupportedFormat(let name):
            return "The image format '\(name)' is not supported; convert the image to PNG, JPEG, WebP or HEIF."
        case .unknownFormat(let head):
            let hex = head.prefix(8).map { byteHex($0) }.joined(separator: " ")
            return "The file is not a PNG, JPEG, WebP or HEIF image (first bytes '\(hex)'); "
                + "check that the file is an image and convert it to one of these formats."
        case .truncated(let format, let detail):
            return
                "The \(format.displayName) file is truncated (\(detail)); copy the complete file into the inbox again."
        case .corrupt(let format, let detail):
            return "The \(format.displayName) data is corrupt (\(detail)); export the image again."
        case .zeroDimensions(let format, let width, let height):
            return "The \(format.displayName) header declares a size of \(width)x\(height) pixels, "
                + "but width and height must be positive; export the image again."
        case .tooLarge(let width, let height, let maxMegapixels):
            let megapixels = Double(width) * Double(height) / 1_000_000
            return "The image is \(width)x\(height) pixels (\(formatMegapixels(megapixels)) megapixels), "
                + "more than the limit of \(formatMegapixels(maxMegapixels)) megapixels; "
                + "raise 'max_megapixels' in the configuration or downscale the image."
        case .unsupportedFeature(let format, let detail):
            return "The \(format.displayName) file uses a feature that is not supported (\(detail)); "
                + "convert the image to a still PNG or JPEG."
        }
    }
}

/// A failure to encode an image.
public enum ImageEncodingError: Error, Equatable, CustomStringConvertible {
    /// The quality is outside 1...100.
    case invalidQuality(Int)
    /// The PNG compression level is outside 0...9.
    case invalidCompressionLevel(Int)
    /// The format has no encoder.
    case unsupportedFormat(ImageFileFormat)
    /// A metadata block does not fit the container, such as EXIF over 64 KB in a JPEG APP1 segment.
    case metadataTooLarge(kind: String, byteCount: Int, maxByteCount: Int)
    /// A metadata block could not be parsed for rewriting.
    case invalidMetadata(kind: String, detail: String)
    /// The C encoder reported a failure.
    case encoderFailed(format: ImageFileFormat, detail: String)

    public var description: String {
        switch self {
        case .invalidQuality(let quality):
            return "The output quality \(quality) is out of range; use a value from 1 to 100."
        case .invalidCompressionLevel(let level):
            return "The PNG compression level \(level) is out of range; use a value from 0 to 9."
        case .unsupportedFormat(let format):
            return
                "Writing \(format.displayName) files is not supported; choose png, jpeg or webp as the output format."
        case .metadataTooLarge(let kind, let byteCount, let maxByteCount):
            return "The \(kind) metadata is \(byteCount) bytes, more than the \(maxByteCount) bytes the output "
                + "format can store; turn off keeping \(kind) metadata for this output."
        case .invalidMetadata(let kind, let detail):
            return "The \(kind) metadata is invalid (\(detail)); turn off keeping \(kind) metadata for this output."
        case .encoderFailed(let format, let detail):
            return "The \(format.displayName) encoder failed (\(detail))."
        }
    }
}

/// Formats a byte as two uppercase hexadecimal digits.
func byteHex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

/// Formats megapixels with one decimal (three below 1 MP, so small limits stay visible) and drops a
/// trailing ".0", so that the default limit prints as "100".
func formatMegapixels(_ value: Double) -> String {
    let scale = value >= 1 ? 10.0 : 1000.0
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded() {
        return String(Int(rounded))
    }
    return String(rounded)
}
