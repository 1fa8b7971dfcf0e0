import Testing

@testable import Imaging

/// A file that must be rejected, and the exact message it must produce.
struct RejectedFileCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: @Sendable () throws -> [UInt8]
    let message: String
    var testDescription: String { name }

    static let all: [RejectedFileCase] = [
        RejectedFileCase(
            name: "empty file",
            bytes: { [] },
            message: "The image file is empty (0 bytes); copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "five bytes",
            bytes: { [0x01, 0x02, 0x03, 0x04, 0x05] },
            message: "The file is too short to be an image (5 bytes); copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "text named photo.jpg",
            bytes: { Array("name: holiday photo\nsize: 3 MB\n".utf8) },
            message: "The file is not a PNG, JPEG, WebP or HEIF image (first bytes '6E 61 6D 65 3A 20 68 6F'); "
                + "check that the file is an image and convert it to one of these formats."
        ),
        RejectedFileCase(
            name: "random bytes",
            bytes: {
                var generator = SeededGenerator(state: 42)
                return (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            },
            message: "The file is not a PNG, JPEG, WebP or HEIF image (first bytes '95 03 52 94 F2 06 5D A4'); "
                + "check that the file is an image and convert it to one of these formats."
        ),
        RejectedFileCase(
            name: "GIF",
            bytes: { try CodecFixtures.bytes("sample.gif") },
            message: "The image format 'GIF' is not supported; convert the image to PNG, JPEG, WebP or HEIF."
        ),
        RejectedFileCase(
            name: "TIFF",
            bytes: { try CodecFixtures.bytes("sample.tiff") },
            message: "The image format 'TIFF' is not supported; convert the image to PNG, JPEG, WebP or HEIF."
        ),
        RejectedFileCase(
            name: "BMP",
            bytes: { try CodecFixtures.bytes("sample.bmp") },
            message: "The image format 'BMP' is not supported; convert the image to PNG, JPEG, WebP or HEIF."
        ),
        RejectedFileCase(
            name: "AVIF",
            bytes: { [0, 0, 0, 0x1C] + Array("ftypavif".utf8) + [0, 0, 0, 0] + Array("avifmif1miaf".utf8) },
            message: "The image format 'AVIF' is not supported; convert the image to PNG, JPEG, WebP or HEIF."
        ),
        RejectedFileCase(
            name: "JPEG cut at half",
            bytes: {
                let photo = try CodecFixtures.photo("kite.jpg")
                return Array(photo.prefix(photo.count / 2))
            },
            message:
                "The JPEG file is truncated (no EOI marker in 243675 bytes); copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "JPEG signature only",
            bytes: { [0xFF, 0xD8, 0xFF, 0xE0] },
            message: "The JPEG file is truncated (the file ends before the frame header, at byte 4); "
                + "copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "PNG cut before IEND",
            bytes: { Array(try CodecFixtures.bytes("png-rgb-8.png").dropLast(20)) },
            message:
                "The PNG file is truncated (no IEND chunk in 143 bytes); copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "PNG signature only",
            bytes: { PNGChunkReader.signature },
            message: "The PNG file is truncated (the file ends inside the IHDR header at byte 8); "
                + "copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "WebP cut at half",
            bytes: {
                let webp = try CodecFixtures.bytes("webp-lossless-rgba.webp")
                return Array(webp.prefix(webp.count / 2))
            },
            message: "The WebP file is truncated (the RIFF header declares 644 bytes but the file has 322); "
                + "copy the complete file into the inbox again."
        ),
        RejectedFileCase(
            name: "animated WebP",
            bytes: { try CodecFixtures.bytes("webp-animated.webp") },
            message:
                "The WebP file uses a feature that is not supported (animation); convert the image to a still PNG or JPEG."
        ),
        RejectedFileCase(
            name: "12-bit JPEG",
            bytes: {
                var jpeg = try CodecFixtures.bytes("orientation-1.jpg")
                let sof = jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 } ?? 0
                jpeg[sof + 4] = 12  // sample precision
                return jpeg
            },
            message:
                "The JPEG file uses a feature that is not supported (TurboJPEG: Unsupported JPEG data precision 12); "
                + "convert the image to a still PNG or JPEG."
        ),
        RejectedFileCase(
            name: "PNG with zero width",
            bytes: { try CodecFixtures.bytes("zero-width.png") },
            message:
                "The PNG header declares a size of 0x16 pixels, but width and height must be positive; export the image again."
        ),
    ]
}

struct CodecFormatDetectionTests {
    @Test(arguments: [
        ("png-rgb-8.png", ImageFileFormat.png), ("orientation-1.jpg", .jpeg), ("webp-lossless-rgba.webp", .webp),
        ("blocks.heic", .heif),
    ])
    func detectsFormatFromMagicBytes(file: String, format: ImageFileFormat) throws {
        let bytes = try CodecFixtures.bytes(file)

        #expect(ImageFileFormat.detect(bytes) == format)
        #expect(ImageFileFormat.detect(bytes.prefix(ImageFileFormat.detectionByteCount)) == format)
    }

    @Test(arguments: ["sample.gif", "sample.tiff", "sample.bmp"])
    func doesNotDetectUnsupportedFormats(file: String) throws {
        #expect(ImageFileFormat.detect(try CodecFixtures.bytes(file)) == nil)
    }

    @Test(arguments: ["heic", "heix", "mif1", "msf1", "hevc"])
    func detectsHEIFBrands(brand: String) {
        let bytes: [UInt8] = [0, 0, 0, 0x18] + Array("ftyp\(brand)".utf8) + [0, 0, 0, 0] + Array("mif1miaf".utf8)

        #expect(ImageFileFormat.detect(bytes) == .heif)
    }

    @Test(arguments: RejectedFileCase.all)
    func rejectsFileWithExactMessage(_ rejected: RejectedFileCase) throws {
        let bytes = try rejected.bytes()

        let message = decodingError(bytes)?.description

        #expect(message == rejected.message)
    }

    @Test func mislabelledPNGDecodesByContent() throws {
        // The pipeline passes bytes, not names: a PNG saved as photo.jpg must still decode as PNG.
        let bytes = try CodecFixtures.bytes("png-rgb-8.png")

        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.format == .png)
        #expect(decoded.image.layout == .rgb)
    }
}
