import Testing

@testable import Imaging

struct CodecWebPHEIFTests {
    /// Colours of the 3x2 block grid in make_fixtures.py, row by row.
    static let blockColors: [[UInt8]] = [
        [220, 30, 30], [30, 200, 40], [40, 60, 220], [240, 240, 240], [20, 20, 20], [230, 200, 20],
    ]

    @Test func losslessWebPFixtureDecodes() throws {
        // Pillow wrote the RGBA pattern losslessly with an Adobe RGB profile and an EXIF block.
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("webp-lossless-rgba.webp"))
        let pattern = Image.make(width: 7, height: 5, layout: .rgba) { x, y, c in UInt8(PNGFixture.base(x, y, c)) }
        let profile = try CodecFixtures.bytes("adobe-rgb.icc")

        let expected = ColorManagement.convertToSRGB(pattern, profile: profile).image

        #expect(decoded.format == .webp)
        #expect(decoded.image == expected)
        #expect(decoded.metadata.exif != nil)
        #expect(decoded.metadata.orientation == 1)
        #expect(decoded.metadata.icc == nil)
    }

    @Test(arguments: [PixelLayout.rgb, .rgba, .gray])
    func losslessWebPRoundTrips(layout: PixelLayout) throws {
        let image = Image.make(width: 19, height: 11, layout: layout) { x, y, c in
            UInt8((x * 13 + y * 29 + c * 71) % 256)
        }

        let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .webp, quality: 100))
        let decoded = try ImageDecoder.decode(bytes)

        // WebP has no grey layout, so grey comes back as RGB with equal channels.
        let expected = layout == .gray ? image.converted(to: .rgb) : image
        #expect(decoded.image == expected)
    }

    @Test func lossyWebPStaysClose() throws {
        let photo = try ImageDecoder.decode(CodecFixtures.photo("bythewater.jpg")).image

        let bytes = try ImageEncoder.encode(photo, options: EncodeOptions(format: .webp, quality: 80))
        let decoded = try ImageDecoder.decode(bytes)

        #expect(bytes.count < photo.pixels.count / 10)
        #expect(decoded.image.width == 2560)
        #expect(decoded.image.height == 1600)
        #expect(meanDifference(photo, decoded.image) < 4.0)
    }

    @Test func webPMetadataRoundTrips() throws {
        let rotated = try ImageDecoder.decode(CodecFixtures.bytes("orientation-6.png"))
        var metadata = rotated.metadata
        metadata.xmp = Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8)
        metadata.icc = try #require(ColorManagement.makeSRGBProfile())

        let bytes = try ImageEncoder.encode(
            rotated.image,
            options: EncodeOptions(format: .webp, quality: 100, metadata: metadata)
        )
        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.image == rotated.image)
        #expect(decoded.metadata.orientation == 1)
        #expect(decoded.metadata.xmp == metadata.xmp)
        #expect(decoded.metadata.icc == metadata.icc)
    }

    @Test func heicDecodesBlocks() throws {
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("blocks.heic"))

        #expect(decoded.format == .heif)
        #expect(decoded.image.width == 96)
        #expect(decoded.image.height == 64)
        #expect(decoded.image.layout == .rgb)
        expectBlocks(decoded.image, tolerance: 10)
    }

    @Test func heicWithRotationDecodesUpright() throws {
        // The file stores the picture turned, an irot box that libheif applies and EXIF orientation 6,
        // which must not turn the picture a second time.
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("blocks-orientation-6.heic"))

        #expect(decoded.metadata.orientation == 6)
        #expect(decoded.image.width == 96)
        #expect(decoded.image.height == 64)
        expectBlocks(decoded.image, tolerance: 10)
    }

    @Test func heicWithAlphaKeepsAlpha() throws {
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("blocks-alpha.heic"))

        #expect(decoded.image.layout == .rgba)
        #expect(decoded.image.pixel(x: 16, y: 16)[3] == 128)
        expectBlocks(decoded.image.converted(to: .rgb), tolerance: 10)
    }

    /// Checks the centre of each 32-pixel block of the 3x2 grid.
    private func expectBlocks(_ image: Image, tolerance: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, expected) in Self.blockColors.enumerated() {
            let actual = image.pixel(x: (index % 3) * 32 + 16, y: (index / 3) * 32 + 16)
            let difference = zip(actual, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(difference <= tolerance, "block \(index): \(actual) != \(expected)", sourceLocation: sourceLocation)
        }
    }

    @Test func truncatedHEICIsRejected() throws {
        let heic = try CodecFixtures.bytes("blocks.heic")

        let message = decodingError(Array(heic.prefix(heic.count / 2)))?.description

        #expect(
            message
                == "The HEIF file is truncated (the 'meta' box at byte 28 declares 342 bytes but the file ends at byte 261); copy the complete file into the inbox again."
        )
    }
}
