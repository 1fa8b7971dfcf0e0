import Testing

@testable import Imaging

struct CodecColorTests {
    /// sRGB values for the Adobe RGB pixels (200,100,50), (0,128,0) and (128,128,128), computed with the
    /// Adobe RGB (1998) and sRGB matrices, gamma 563/256 and clipping to 0...1. Pillow's ImageCms, which
    /// wraps lcms2, returns the same values for icc-adobe-rgb.png.
    static let adobeRGBInSRGB: [[UInt8]] = [[227, 100, 42], [0, 129, 0], [129, 129, 129]]

    @Test func adobeRGBPNGConvertsToSRGB() throws {
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("icc-adobe-rgb.png"))

        #expect(decoded.image.layout == .rgb)
        for (x, expected) in Self.adobeRGBInSRGB.enumerated() {
            let actual = decoded.image.pixel(x: x, y: 0)
            let difference = zip(actual, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(difference <= 1, "pixel \(x): \(actual) != \(expected)")
        }
        #expect(decoded.metadata.icc == nil)
        #expect(
            decoded.warnings == ["Converted the colours from the ICC profile 'Adobe RGB (1998) test profile' to sRGB."]
        )
    }

    @Test func adobeRGBJPEGConvertsToSRGB() throws {
        // Each source colour fills one 8x8 JPEG block of the 24x8 image.
        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("icc-adobe-rgb.jpg"))

        for (index, expected) in Self.adobeRGBInSRGB.enumerated() {
            let actual = decoded.image.pixel(x: index * 8 + 4, y: 4)
            let difference = zip(actual, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(difference <= 3, "block \(index): \(actual) != \(expected)")
        }
        #expect(decoded.metadata.icc == nil)
    }

    @Test func displayP3ConvertsToSRGB() throws {
        // The P3 samples were linearised with the sRGB curve, multiplied by the Display P3 to XYZ and
        // XYZ to sRGB matrices (D65), clipped to 0...1 and encoded with the sRGB curve.
        let profile = try #require(ColorManagement.makeRGBProfile(.displayP3, gamma: nil))
        let image = Image(
            width: 3,
            height: 1,
            layout: .rgba,
            pixels: [200, 100, 50, 255, 60, 160, 90, 128, 255, 255, 255, 0]
        )
        let bytes = try ImageEncoder.encode(
            image,
            options: EncodeOptions(format: .png, metadata: ImageMetadata(icc: profile))
        )

        let decoded = try ImageDecoder.decode(bytes)

        let expected: [[UInt8]] = [[215, 93, 31, 255], [0, 163, 82, 128], [255, 255, 255, 0]]
        for (x, pixel) in expected.enumerated() {
            let actual = decoded.image.pixel(x: x, y: 0)
            let difference = zip(actual, pixel).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(difference <= 1, "pixel \(x): \(actual) != \(pixel)")
            #expect(actual[3] == pixel[3], "alpha of pixel \(x)")
        }
    }

    @Test func srgbProfileIsKeptWithoutConversion() throws {
        let profile = try #require(ColorManagement.makeSRGBProfile())
        let image = Image.make(width: 5, height: 4, layout: .rgb) { x, y, c in UInt8(x * 40 + y * 10 + c * 3) }
        let bytes = try ImageEncoder.encode(
            image,
            options: EncodeOptions(format: .png, metadata: ImageMetadata(icc: profile))
        )

        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.image == image)
        #expect(decoded.metadata.icc == profile)
        #expect(decoded.warnings.isEmpty)
    }

    @Test func rgbProfileOnGrayImageIsIgnored() throws {
        let profile = try CodecFixtures.bytes("adobe-rgb.icc")
        let image = Image.make(width: 4, height: 4, layout: .gray) { x, y, _ in UInt8(x * 50 + y) }
        let bytes = try ImageEncoder.encode(
            image,
            options: EncodeOptions(format: .png, metadata: ImageMetadata(icc: profile))
        )

        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.image == image)
        #expect(decoded.metadata.icc == nil)
        #expect(
            decoded.warnings == [
                "The embedded ICC profile 'Adobe RGB (1998) test profile' does not match the image's grey channels, so it was ignored."
            ]
        )
    }

    @Test func unreadableProfileIsIgnored() throws {
        let image = Image.make(width: 2, height: 2, layout: .rgb) { x, y, c in UInt8(x * 90 + y * 30 + c) }
        let bytes = try ImageEncoder.encode(
            image,
            options: EncodeOptions(
                format: .jpeg,
                quality: 100,
                metadata: ImageMetadata(icc: Array("not a profile".utf8))
            )
        )

        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.metadata.icc == nil)
        #expect(
            decoded.warnings == ["The embedded ICC profile could not be read, so the colours were treated as sRGB."]
        )
    }

    @Test(arguments: PixelLayout.allCases, PixelLayout.allCases)
    func layoutConversionKeepsValues(from source: PixelLayout, to target: PixelLayout) {
        let image = Image.make(width: 3, height: 2, layout: source) { x, y, c in UInt8(40 * x + 70 * y + 13 * c) }

        let converted = image.converted(to: target)

        #expect(converted.layout == target)
        for y in 0..<2 {
            for x in 0..<3 {
                let from = image.pixel(x: x, y: y)
                let to = converted.pixel(x: x, y: y)
                let color: [UInt8] = source.channels >= 3 ? Array(from.prefix(3)) : [from[0], from[0], from[0]]
                let expectedColor: [UInt8] = target.channels >= 3 ? color : [Image.luma((color[0], color[1], color[2]))]
                var expectedAlpha: [UInt8] = []
                if target.hasAlpha {
                    expectedAlpha = source.hasAlpha ? [from[source.channels - 1]] : [255]
                }
                #expect(to == expectedColor + expectedAlpha, "pixel (\(x),\(y))")
            }
        }
    }

    @Test func lumaUsesBT601Weights() {
        #expect(Image.luma((255, 0, 0)) == 76)
        #expect(Image.luma((0, 255, 0)) == 150)
        #expect(Image.luma((0, 0, 255)) == 29)
        #expect(Image.luma((255, 255, 255)) == 255)
    }
}
