import Testing

@testable import Imaging

/// A PNG fixture from make_fixtures.py and the pixel model that generated it.
struct PNGFixture: CustomTestStringConvertible, Sendable {
    enum Model: Sendable {
        case gray(depth: Int)
        case gray16
        case grayTransparentColor
        case rgb
        case rgbTransparentColor
        case palette(depth: Int, transparency: Bool)
        case grayAlpha
        case rgba
    }

    let file: String
    let layout: PixelLayout
    let model: Model
    var testDescription: String { file }

    /// Computes a sample with the `base` formula of make_fixtures.py.
    static func base(_ x: Int, _ y: Int, _ channel: Int) -> Int {
        (x * 37 + y * 71 + channel * 101) % 256
    }

    /// The 8-bit pixel the decoder must return, and whether its colour matters (not for alpha 0).
    func expected(x: Int, y: Int) -> (pixel: [UInt8], colorMatters: Bool) {
        let b = { (channel: Int) in Self.base(x, y, channel) }
        switch model {
        case .gray(let depth):
            let maximum = (1 << depth) - 1
            return ([UInt8(b(0) % (1 << depth) * 255 / maximum)], true)
        case .gray16:
            return ([UInt8(b(0))], true)
        case .grayTransparentColor:
            let transparent = b(0) == Self.base(3, 2, 0)
            return ([UInt8(b(0)), transparent ? 0 : 255], !transparent)
        case .rgb:
            return ((0..<3).map { UInt8(b($0)) }, true)
        case .rgbTransparentColor:
            let transparent = (0..<3).allSatisfy { b($0) == Self.base(3, 2, $0) }
            return ((0..<3).map { UInt8(b($0)) } + [transparent ? 0 : 255], !transparent)
        case .palette(let depth, let transparency):
            let index = b(0) % (1 << depth)
            let color = [index * 50 % 256, index * 90 % 256, index * 130 % 256].map { UInt8($0) }
            guard transparency else {
                return (color, true)
            }
            let alpha = UInt8(index * 60 % 256)
            return (color + [alpha], alpha == 255)
        case .grayAlpha:
            return ([UInt8(b(0)), UInt8(b(1))], true)
        case .rgba:
            return ((0..<4).map { UInt8(b($0)) }, true)
        }
    }

    static let all: [PNGFixture] = [
        PNGFixture(file: "png-gray-1.png", layout: .gray, model: .gray(depth: 1)),
        PNGFixture(file: "png-gray-2.png", layout: .gray, model: .gray(depth: 2)),
        PNGFixture(file: "png-gray-4.png", layout: .gray, model: .gray(depth: 4)),
        PNGFixture(file: "png-gray-8.png", layout: .gray, model: .gray(depth: 8)),
        PNGFixture(file: "png-gray-16.png", layout: .gray, model: .gray16),
        PNGFixture(file: "png-gray-8-trns.png", layout: .grayAlpha, model: .grayTransparentColor),
        PNGFixture(file: "png-gray-4-interlaced.png", layout: .gray, model: .gray(depth: 4)),
        PNGFixture(file: "png-rgb-8.png", layout: .rgb, model: .rgb),
        PNGFixture(file: "png-rgb-16.png", layout: .rgb, model: .rgb),
        PNGFixture(file: "png-rgb-8-trns.png", layout: .rgba, model: .rgbTransparentColor),
        PNGFixture(file: "png-palette-1.png", layout: .rgb, model: .palette(depth: 1, transparency: false)),
        PNGFixture(file: "png-palette-2.png", layout: .rgb, model: .palette(depth: 2, transparency: false)),
        PNGFixture(file: "png-palette-4.png", layout: .rgb, model: .palette(depth: 4, transparency: false)),
        PNGFixture(file: "png-palette-8.png", layout: .rgb, model: .palette(depth: 8, transparency: false)),
        PNGFixture(file: "png-palette-2-trns.png", layout: .rgba, model: .palette(depth: 2, transparency: true)),
        PNGFixture(file: "png-palette-8-trns.png", layout: .rgba, model: .palette(depth: 8, transparency: true)),
        PNGFixture(
            file: "png-palette-2-trns-interlaced.png",
            layout: .rgba,
            model: .palette(depth: 2, transparency: true)
        ),
        PNGFixture(file: "png-graya-8.png", layout: .grayAlpha, model: .grayAlpha),
        PNGFixture(file: "png-graya-16.png", layout: .grayAlpha, model: .grayAlpha),
        PNGFixture(file: "png-rgba-8.png", layout: .rgba, model: .rgba),
        PNGFixture(file: "png-rgba-16.png", layout: .rgba, model: .rgba),
        PNGFixture(file: "png-rgba-8-interlaced.png", layout: .rgba, model: .rgba),
    ]
}

struct CodecPNGTests {
    @Test(arguments: PNGFixture.all)
    func decodesColorTypeAndDepth(_ fixture: PNGFixture) throws {
        let bytes = try CodecFixtures.bytes(fixture.file)

        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.format == .png)
        #expect(decoded.image.layout == fixture.layout)
        #expect(decoded.image.width == 7)
        #expect(decoded.image.height == 5)
        var mismatches: [String] = []
        for y in 0..<5 {
            for x in 0..<7 {
                let (expected, colorMatters) = fixture.expected(x: x, y: y)
                let actual = decoded.image.pixel(x: x, y: y)
                let matches = colorMatters ? actual == expected : actual.last == expected.last
                if !matches {
                    mismatches.append("(\(x),\(y)) \(actual) != \(expected)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test(arguments: PixelLayout.allCases, [0, 6, 9])
    func roundTripIsLossless(layout: PixelLayout, level: Int) throws {
        let image = Image.make(width: 33, height: 17, layout: layout) { x, y, c in
            UInt8((x * 7 + y * 13 + c * 50) % 256)
        }

        let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: level))
        let decoded = try ImageDecoder.decode(bytes)

        #expect(decoded.image == image)
        #expect(decoded.metadata == ImageMetadata())
    }

    @Test func compressionLevelChangesSize() throws {
        let image = Image.make(width: 128, height: 128, layout: .rgb) { x, y, c in UInt8((x / 8 + y / 8 + c) % 4 * 60) }

        let stored = try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 0))
        let smallest = try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 9))

        #expect(stored.count > image.pixels.count)
        #expect(smallest.count < stored.count / 10)
    }

    @Test func adaptiveFilterPicksSubThenUp() {
        // Every row is the same horizontal ramp: Sub leaves constant residuals in the first row, and Up
        // leaves zeros in every later row.
        let image = Image.make(width: 16, height: 3, layout: .gray) { x, _, _ in UInt8(x * 9 + 40) }

        let filtered = PNGEncoder.filterRows(image, adaptive: true)

        #expect(filtered.count == 3 * 17)
        #expect(filtered[0] == 1)
        #expect(filtered[17] == 2)
        #expect(filtered[34] == 2)
        #expect(filtered[18..<34].allSatisfy { $0 == 0 })
    }

    @Test(arguments: [(10, 20, 5, 20), (10, 20, 25, 10), (30, 10, 10, 30), (10, 10, 10, 10)])
    func paethPredictorPicksNearestNeighbour(left: Int, up: Int, upLeft: Int, expected: Int) {
        #expect(PNGEncoder.paethPredictor(left: left, up: up, upLeft: upLeft) == expected)
    }

    @Test func metadataChunksRoundTrip() throws {
        let image = Image.make(width: 4, height: 3, layout: .rgb) { x, y, c in UInt8(x * 60 + y * 20 + c) }
        let exif = try #require(try ImageDecoder.decode(CodecFixtures.bytes("orientation-6.png")).metadata.exif)
        let srgb = try #require(ColorManagement.makeSRGBProfile())
        let xmp = Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8)
        let metadata = ImageMetadata(exif: exif, icc: srgb, xmp: xmp, orientation: 6)

        let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .png, metadata: metadata))
        let decoded = try ImageDecoder.decode(bytes)
        let chunkTypes = PNGChunkReader(bytes).chunks.map(\.type)

        #expect(decoded.image == image)
        #expect(decoded.metadata.icc == srgb)
        #expect(decoded.metadata.xmp == xmp)
        #expect(decoded.metadata.orientation == 1)
        #expect(chunkTypes.prefix(4) == ["IHDR", "iCCP", "eXIf", "iTXt"])
        #expect(!chunkTypes.contains("sRGB"))
    }

    @Test func rejectsInvalidCompressionLevel() throws {
        let image = Image(width: 1, height: 1, layout: .gray)

        #expect(throws: ImageEncodingError.invalidCompressionLevel(10)) {
            try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 10))
        }
        #expect(
            ImageEncodingError.invalidCompressionLevel(10).description
                == "The PNG compression level 10 is out of range; use a value from 0 to 9."
        )
    }
}
