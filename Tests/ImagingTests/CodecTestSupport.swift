import Foundation
import Testing

@testable import Imaging

/// Loads files from Tests/ImagingTests/Fixtures/codecs and Tests/Photos.
enum CodecFixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = testsFolder.appendingPathComponent("Fixtures/codecs/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func photo(_ name: String) throws -> [UInt8] {
        let url = testsFolder.deletingLastPathComponent().appendingPathComponent("Photos/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static let photoNames = ["autumn.jpg", "bythewater.jpg", "colorfulcups.jpg", "kite.jpg", "path.jpg"]
}

/// A deterministic SplitMix64 generator, so fuzz inputs and random files are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Image {
    /// Returns the channels of the pixel at (x, y).
    func pixel(x: Int, y: Int) -> [UInt8] {
        let start = (y * width + x) * layout.channels
        return Array(pixels[start..<start + layout.channels])
    }

    /// Computes the largest absolute difference of any channel against an image of the same size and layout.
    func maxDifference(to other: Image) -> Int {
        precondition(width == other.width && height == other.height && layout == other.layout)
        return zip(pixels, other.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// Builds an image whose channel values come from `value(x, y, channel)`.
    static func make(width: Int, height: Int, layout: PixelLayout, _ value: (Int, Int, Int) -> UInt8) -> Image {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * layout.channels)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<layout.channels {
                    pixels.append(value(x, y, channel))
                }
            }
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }
}

/// Decodes bytes and returns the decoding error, or nil when decoding succeeded.
func decodingError(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) -> ImageDecodingError? {
    do {
        _ = try ImageDecoder.decode(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}
