import Testing

@testable import Imaging

struct CodecLimitsTests {
    @Test func pngBombIsRejectedFromHeader() throws {
        // 50000x50000 declared in a 79-byte file.
        let message = decodingError(try CodecFixtures.bytes("bomb.png"))?.description

        #expect(
            message
                == "The image is 50000x50000 pixels (2500 megapixels), more than the limit of 100 megapixels; raise 'max_megapixels' in the configuration or downscale the image."
        )
    }

    @Test func jpegBombIsRejectedFromHeader() throws {
        let message = decodingError(try CodecFixtures.bytes("bomb.jpg"))?.description

        #expect(
            message
                == "The image is 60000x60000 pixels (3600 megapixels), more than the limit of 100 megapixels; raise 'max_megapixels' in the configuration or downscale the image."
        )
    }

    @Test func webPBombIsRejectedFromHeader() throws {
        // A simple lossless file: 'VP8L' chunk at 12, signature 0x2F at 20, then a 32-bit little-endian
        // header of width - 1 (14 bits), height - 1 (14 bits), alpha (1 bit) and version (3 bits).
        let small = Image(width: 4, height: 4, layout: .rgb, filledWith: 90)
        var webp = try ImageEncoder.encode(small, options: EncodeOptions(format: .webp, quality: 100))
        let side: UInt32 = 16383 - 1
        let header = side | side << 14
        webp.replaceSubrange(21..<25, with: (0..<4).map { UInt8(truncatingIfNeeded: header >> (8 * $0)) })

        let message = decodingError(webp, limits: DecodeLimits(maxMegapixels: 50))?.description

        #expect(Array(webp[12..<16]) == Array("VP8L".utf8))
        #expect(
            message
                == "The image is 16383x16383 pixels (268.4 megapixels), more than the limit of 50 megapixels; raise 'max_megapixels' in the configuration or downscale the image."
        )
    }

    @Test func photoAboveLowLimitIsRejected() throws {
        let photo = try CodecFixtures.photo("path.jpg")

        let message = decodingError(photo, limits: DecodeLimits(maxMegapixels: 4))?.description

        #expect(
            message
                == "The image is 2560x1600 pixels (4.1 megapixels), more than the limit of 4 megapixels; raise 'max_megapixels' in the configuration or downscale the image."
        )
        #expect(decodingError(photo, limits: DecodeLimits(maxMegapixels: 4.1)) == nil)
    }

    @Test func heicAboveLimitIsRejected() throws {
        let heic = try CodecFixtures.bytes("blocks.heic")

        let message = decodingError(heic, limits: DecodeLimits(maxMegapixels: 0.005))?.description

        #expect(
            message
                == "The image is 96x64 pixels (0.006 megapixels), more than the limit of 0.005 megapixels; raise 'max_megapixels' in the configuration or downscale the image."
        )
    }

    @Test func zeroHeightJPEGIsRejected() throws {
        var jpeg = try CodecFixtures.bytes("orientation-1.jpg")
        let sof = try #require(
            jpeg.indices.first { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC0 || jpeg[$0 + 1] == 0xC2) }
        )
        jpeg[sof + 5] = 0
        jpeg[sof + 6] = 0

        let message = decodingError(jpeg)?.description

        #expect(
            message
                == "The JPEG header declares a size of 48x0 pixels, but width and height must be positive; export the image again."
        )
    }
}

/// Mutates small valid files at random and checks that every decode ends in an image or a format error.
struct CodecFuzzTests {
    /// Returns whether only the first bytes decide this error. Mutations keep those bytes, so it must never appear.
    static func isDetectionError(_ error: ImageDecodingError) -> Bool {
        switch error {
        case .emptyFile, .tooShort, .unknownFormat, .unsupportedFormat: true
        default: false
        }
    }

    @Test(arguments: [
        "png-rgba-8-interlaced.png", "icc-adobe-rgb.png", "orientation-6.jpg", "cmyk-adobe.jpg",
        "webp-lossless-rgba.webp", "blocks.heic",
    ])
    func mutatedFilesFailCleanly(file: String) throws {
        let original = try CodecFixtures.bytes(file)
        let format = try #require(ImageFileFormat.detect(original))
        var generator = SeededGenerator(state: UInt64(original.count))
        var decodedCount = 0
        var failures: [String: Int] = [:]

        for round in 0..<600 {
            let mutated = mutate(original, round: round, using: &generator)
            do {
                let decoded = try ImageDecoder.decode(mutated, limits: DecodeLimits(maxMegapixels: 4))
                #expect(decoded.format == format)
                #expect(decoded.image.width * decoded.image.height <= 4_000_000)
                decodedCount += 1
            } catch {
                #expect(!Self.isDetectionError(error), "round \(round): \(error)")
                failures[String(describing: error).prefix(24).description, default: 0] += 1
            }
        }

        // Both outcomes must occur, or the mutations are too weak or too strong to test anything.
        #expect(decodedCount > 0)
        #expect(!failures.isEmpty)
    }

    /// Flips bytes after the magic number, cuts the file, or repeats a slice of it.
    private func mutate(_ bytes: [UInt8], round: Int, using generator: inout SeededGenerator) -> [UInt8] {
        let protected = ImageFileFormat.detectionByteCount
        var result = bytes
        switch round % 3 {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: protected..<result.count, using: &generator)
                result[index] = UInt8.random(in: 0...255, using: &generator)
            }
        case 1:
            result = Array(result.prefix(Int.random(in: protected..<result.count, using: &generator)))
        default:
            let start = Int.random(in: protected..<result.count, using: &generator)
            let end = min(result.count, start + Int.random(in: 1...64, using: &generator))
            result.insert(
                contentsOf: result[start..<end],
                at: Int.random(in: protected..<result.count, using: &generator)
            )
        }
        return result
    }
}
