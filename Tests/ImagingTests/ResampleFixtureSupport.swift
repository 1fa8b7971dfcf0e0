import Foundation
import Imaging
import Testing

/// Reads the geometry fixtures written by `Fixtures/geometry/generate.py`.
enum GeometryFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/geometry")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func text(_ name: String) throws -> String {
        try String(decoding: data(name), as: UTF8.self)
    }

    /// Whitespace-separated records of a text fixture, without `#` comment lines.
    static func records(_ name: String) throws -> [[Substring]] {
        try text(name).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: " ") }
    }

    /// Reads a binary PGM (P5), PPM (P6) or PAM (P7) with 8-bit samples.
    static func image(_ name: String) throws -> Image {
        let bytes = [UInt8](try data(name))
        var reader = NetpbmHeaderReader(bytes: bytes)
        let magic = reader.token()
        let width: Int
        let height: Int
        let layout: PixelLayout
        switch magic {
        case "P5", "P6":
            width = Int(reader.token()) ?? 0
            height = Int(reader.token()) ?? 0
            _ = reader.token()
            layout = magic == "P5" ? .gray : .rgb
        case "P7":
            var fields: [String: String] = [:]
            while true {
                let key = reader.token()
                if key == "ENDHDR" || key.isEmpty { break }
                fields[key] = reader.token()
            }
            width = Int(fields["WIDTH"] ?? "") ?? 0
            height = Int(fields["HEIGHT"] ?? "") ?? 0
            layout = PixelLayout(rawValue: Int(fields["DEPTH"] ?? "") ?? 0) ?? .gray
        default:
            throw FixtureError.unsupported(name)
        }
        let start = reader.position + 1
        let pixels = Array(bytes[start..<(start + width * height * layout.channels)])
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    static func mask(_ name: String) throws -> Mask {
        let image = try image(name)
        return Mask(width: image.width, height: image.height, values: image.pixels)
    }

    /// The synthetic test pattern; must match `pattern()` in generate.py.
    static func pattern(width: Int, height: Int, layout: PixelLayout) -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * layout.channels)
        var index = 0
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<layout.channels {
                    let value = (x * (3 + c) + y * (5 + 2 * c) + ((x * y) >> 6)) ^ (x >> 4) ^ (y >> 3)
                    pixels[index] = UInt8(value & 255)
                    index += 1
                }
            }
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Returns the largest absolute difference between two equally long byte arrays.
    static func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
    }

    /// Rows 0, step, 2·step, … of `image`, the form in which large expected outputs are stored.
    static func sampledRows(_ image: Image, step: Int) -> [UInt8] {
        stride(from: 0, to: image.height, by: step).flatMap { row in
            image.pixels[(row * image.bytesPerRow)..<((row + 1) * image.bytesPerRow)]
        }
    }
}

enum FixtureError: Error {
    case unsupported(String)
}

struct NetpbmHeaderReader {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Returns the next whitespace-delimited header token and leaves `position` on the delimiter after it.
    mutating func token() -> String {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A {
            position += 1
        }
        let start = position
        while position < bytes.count, bytes[position] != 0x20 && bytes[position] != 0x0A {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}
