import Testing

@testable import Imaging

struct CodecJPEGTests {
    /// Naive sRGB values of the CMYK patches in make_fixtures.py: R = (255 - C)(255 - K) / 255.
    static let cmykPatchColors: [[UInt8]] = [
        [0, 255, 255], [255, 0, 255], [255, 255, 0], [127, 127, 127], [167, 111, 55], [255, 255, 255],
    ]

    @Test(arguments: CodecFixtures.photoNames)
    func photoDecodesAndRoundTrips(name: String) throws {
        let decoded = try ImageDecoder.decode(CodecFixtures.photo(name))

        let encoded = try ImageEncoder.encode(
            decoded.image,
            options: EncodeOptions(format: .jpeg, quality: 90, metadata: decoded.metadata)
        )
        let reread = try ImageDecoder.decode(encoded)

        #expect(decoded.format == .jpeg)
        #expect(decoded.image.width == 2560)
        #expect(decoded.image.height == 1600)
        #expect(decoded.image.layout == .rgb)
        #expect(reread.image.width == 2560)
        #expect(reread.image.height == 1600)
        #expect(meanDifference(decoded.image, reread.image) < 2.0)
        #expect(reread.metadata.icc == decoded.metadata.icc)
        #expect(reread.metadata.xmp == decoded.metadata.xmp)
    }

    @Test func photoMetadataIsExtracted() throws {
        let decoded = try ImageDecoder.decode(CodecFixtures.photo("kite.jpg"))

        // Sizes as Pillow reports them for kite.jpg. Its profile is sRGB, so it stays attached.
        #expect(decoded.metadata.exif?.count == 4584)
        #expect(decoded.metadata.icc?.count == 3144)
        #expect(decoded.metadata.xmp?.count == 2795)
        #expect(decoded.metadata.orientation == 1)
        #expect(decoded.warnings.isEmpty)
    }

    @Test(arguments: [("cmyk-adobe.jpg", true), ("cmyk-plain.jpg", false)])
    func cmykDecodesToRGB(file: String, hasAdobeSegment: Bool) throws {
        let bytes = try CodecFixtures.bytes(file)

        let decoded = try ImageDecoder.decode(bytes)

        #expect((JPEGMarkerScan(bytes).adobeTransform != nil) == hasAdobeSegment)
        #expect(decoded.image.layout == .rgb)
        expectPatches(decoded.image, Self.cmykPatchColors, tolerance: 6)
        #expect(decoded.warnings == ["Converted CMYK to sRGB without an ICC profile, so colours are approximate."])
    }

    @Test func ycckDecodesToRGB() throws {
        // Adobe-convention samples (inverted: 255 is no ink), which TurboJPEG stores as YCCK.
        let patches: [[UInt8]] = [
            [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 255, 0], [0, 0, 0, 128], [64, 128, 192, 32], [0, 0, 0, 0],
        ]
        var samples: [UInt8] = []
        for _ in 0..<16 {
            for patch in patches {
                for _ in 0..<16 {
                    samples += patch.map { 255 - $0 }
                }
            }
        }

        let bytes = try JPEGEncoder.encodeCMYK(samples, width: 96, height: 16, quality: 95)
        let decoded = try ImageDecoder.decode(bytes)

        #expect(JPEGMarkerScan(bytes).adobeTransform == 2)
        expectPatches(decoded.image, Self.cmykPatchColors, tolerance: 6)
    }

    @Test func grayJPEGStaysGray() throws {
        let image = Image.make(width: 32, height: 16, layout: .gray) { x, _, _ in UInt8(x * 8) }

        let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .jpeg, quality: 95))
        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.image.layout == .gray)
        #expect(decoded.image.maxDifference(to: image) <= 6)
    }

    @Test(arguments: [(95, [0x11, 0x11, 0x11]), (89, [0x22, 0x11, 0x11])])
    func chromaSubsamplingFollowsQuality(quality: Int, samplingFactors: [UInt8]) throws {
        let image = Image.make(width: 32, height: 32, layout: .rgba) { x, y, c in UInt8((x * 8 + y * 3 + c * 40) % 256)
        }

        let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .jpeg, quality: quality))
        let sof = try #require(bytes.indices.first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })

        // SOF0: length (2), precision (1), height (2), width (2), count (1), then id/sampling/table per component.
        #expect(bytes[sof + 9] == 3)
        #expect([bytes[sof + 11], bytes[sof + 14], bytes[sof + 17]] == samplingFactors)
    }

    @Test func truncatedScanWithEOIIsRejected() throws {
        let photo = try CodecFixtures.photo("kite.jpg")
        let cut = Array(photo.prefix(photo.count / 2)) + [0xFF, 0xD9]

        let message = decodingError(cut)?.description

        #expect(
            message
                == "The JPEG file is truncated (TurboJPEG: Corrupt JPEG data: premature end of data segment); copy the complete file into the inbox again."
        )
    }

    @Test(arguments: [0, 101])
    func rejectsInvalidQuality(quality: Int) {
        let image = Image(width: 2, height: 2, layout: .rgb)

        #expect(throws: ImageEncodingError.invalidQuality(quality)) {
            try ImageEncoder.encode(image, options: EncodeOptions(format: .jpeg, quality: quality))
        }
        #expect(
            ImageEncodingError.invalidQuality(quality).description
                == "The output quality \(quality) is out of range; use a value from 1 to 100."
        )
    }

    @Test func iccProfileSpansSeveralSegments() throws {
        let image = Image(width: 8, height: 8, layout: .rgb, filledWith: 128)
        let profile = (0..<150_000).map { UInt8($0 % 251) }

        let bytes = try ImageEncoder.encode(
            image,
            options: EncodeOptions(format: .jpeg, metadata: ImageMetadata(icc: profile))
        )
        let scan = JPEGMarkerScan(bytes)

        #expect(scan.iccChunkCount == 3)
        #expect(scan.iccProfile == profile)
    }

    @Test func heifOutputIsRejected() {
        let image = Image(width: 2, height: 2, layout: .rgb)

        #expect(throws: ImageEncodingError.unsupportedFormat(.heif)) {
            try ImageEncoder.encode(image, options: EncodeOptions(format: .heif))
        }
        #expect(
            ImageEncodingError.unsupportedFormat(.heif).description
                == "Writing HEIF files is not supported; choose png, jpeg or webp as the output format."
        )
    }
}

/// Checks the centre of each 16-pixel-wide patch of a one-row strip of patches.
func expectPatches(
    _ image: Image,
    _ colors: [[UInt8]],
    tolerance: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(image.width == 16 * colors.count, sourceLocation: sourceLocation)
    for (index, color) in colors.enumerated() {
        let actual = image.pixel(x: index * 16 + 8, y: image.height / 2)
        let difference = zip(actual, color).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(difference <= tolerance, "patch \(index): \(actual) != \(color)", sourceLocation: sourceLocation)
    }
}

func meanDifference(_ first: Image, _ second: Image) -> Double {
    let total = zip(first.pixels, second.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
    return Double(total) / Double(first.pixels.count)
}
