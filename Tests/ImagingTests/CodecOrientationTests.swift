import Testing

@testable import Imaging

struct CodecOrientationTests {
    @Test(arguments: 1...8)
    func pngWithEXIFOrientationDecodesUpright(orientation: Int) throws {
        let upright = try ImageDecoder.decode(CodecFixtures.bytes("orientation-upright.png")).image

        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("orientation-\(orientation).png"))

        #expect(decoded.metadata.orientation == orientation)
        #expect(decoded.image == upright)
    }

    @Test(arguments: 1...8)
    func jpegWithEXIFOrientationDecodesUpright(orientation: Int) throws {
        let upright = try ImageDecoder.decode(CodecFixtures.bytes("orientation-upright.jpg")).image

        let decoded = try ImageDecoder.decode(CodecFixtures.bytes("orientation-\(orientation).jpg"))

        #expect(decoded.metadata.orientation == orientation)
        #expect(decoded.image.width == 48)
        #expect(decoded.image.height == 32)
        // Block centres avoid the JPEG ringing along the colour edges.
        for (x, y) in [(8, 8), (24, 8), (40, 8), (8, 24), (24, 24), (40, 24)] {
            let difference = zip(decoded.image.pixel(x: x, y: y), upright.pixel(x: x, y: y)).map {
                abs(Int($0) - Int($1))
            }
            #expect(difference.max() ?? 0 <= 8, "block at (\(x),\(y))")
        }
    }

    @Test(arguments: [(2, 2), (3, 3), (4, 4), (5, 5), (6, 8), (7, 7), (8, 6)])
    func orientationFollowedByInverseIsIdentity(orientation: Int, inverse: Int) {
        let image = Image.make(width: 5, height: 3, layout: .grayAlpha) { x, y, c in UInt8(x * 10 + y * 50 + c) }

        let turned = image.oriented(orientation)
        let restored = turned.oriented(inverse)

        #expect(turned != image)
        #expect(restored == image)
    }

    @Test func orientationSixRotatesClockwise() {
        // 2x1 stored image: left pixel 1, right pixel 2. Orientation 6 shows it turned 90° clockwise.
        let stored = Image(width: 2, height: 1, layout: .gray, pixels: [1, 2])

        let upright = stored.oriented(6)

        #expect(upright.width == 1)
        #expect(upright.height == 2)
        #expect(upright.pixels == [1, 2])
        #expect(stored.oriented(8).pixels == [2, 1])
    }

    @Test(arguments: [0, 9, -1])
    func invalidOrientationLeavesImageUnchanged(orientation: Int) {
        let image = Image.make(width: 3, height: 2, layout: .rgb) { x, y, c in UInt8(x + y * 3 + c * 7) }

        #expect(image.oriented(orientation) == image)
    }

    @Test func jpegOutputResetsOrientationAndDropsThumbnail() throws {
        // colorfulcups.jpg carries a 44 KB EXIF block whose IFD1 links a JPEG thumbnail.
        let source = try ImageDecoder.decode(CodecFixtures.photo("colorfulcups.jpg"))
        let sourceEXIF = try #require(source.metadata.exif)
        let rotated = try ImageDecoder.decode(CodecFixtures.bytes("orientation-6.jpg"))
        let orientationEXIF = try #require(rotated.metadata.exif)

        let withThumbnail = try ImageEncoder.encode(
            source.image,
            options: EncodeOptions(format: .jpeg, metadata: source.metadata)
        )
        let withOrientation = try ImageEncoder.encode(
            rotated.image,
            options: EncodeOptions(format: .jpeg, metadata: rotated.metadata)
        )
        let reread = try ImageDecoder.decode(withOrientation)
        let outputEXIF = try #require(try ImageDecoder.decode(withThumbnail).metadata.exif)
        let reader = try #require(EXIFReader(outputEXIF))

        #expect(EXIFReader(orientationEXIF)?.orientation == 6)
        #expect(reread.metadata.orientation == 1)
        #expect(reread.image.width == rotated.image.width)
        #expect(reread.image.height == rotated.image.height)
        #expect(nextIFDOffset(reader) == 0)
        // The dropped thumbnail is about 7 KB of the 44 KB block.
        #expect(outputEXIF.count < sourceEXIF.count - 5_000)
    }

    /// Reads the offset of IFD1 (the thumbnail directory) stored after IFD0's entries.
    private func nextIFDOffset(_ reader: EXIFReader) -> UInt32? {
        guard let ifd0 = reader.readUInt32(at: 4).map(Int.init), let count = reader.readUInt16(at: ifd0) else {
            return nil
        }
        return reader.readUInt32(at: ifd0 + 2 + Int(count) * 12)
    }
}
