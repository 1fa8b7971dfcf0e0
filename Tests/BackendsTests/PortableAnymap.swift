import Foundation
import Imaging

/// A test-only reader and writer of binary PPM (P6) and PGM (P5) files with a maximum value of 255, so the
/// tests need no image codec from the Imaging module.
enum PortableAnymap {
    enum ReadError: Error, CustomStringConvertible {
        case invalidHeader(path: String)
        case truncated(path: String, expectedBytes: Int, actualBytes: Int)

        var description: String {
            switch self {
            case .invalidHeader(let path):
                "'\(path)' is not a binary PPM or PGM file with maximum value 255"
            case .truncated(let path, let expectedBytes, let actualBytes):
                "'\(path)' has \(actualBytes) bytes of pixel data but its header needs \(expectedBytes)"
            }
        }
    }

    static func read(path: String) throws -> Image {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var position = 0
        var fields: [String] = []
        while fields.count < 4 {
            skipWhitespaceAndComments(data, &position)
            var field = ""
            while position < data.count, !isWhitespace(data[position]) {
                field.append(Character(UnicodeScalar(data[position])))
                position += 1
            }
            guard !field.isEmpty else { throw ReadError.invalidHeader(path: path) }
            fields.append(field)
        }
        // Exactly one whitespace byte separates the header from the pixels.
        position += 1

        let layout: PixelLayout
        switch fields[0] {
        case "P6": layout = .rgb
        case "P5": layout = .gray
        default: throw ReadError.invalidHeader(path: path)
        }
        guard let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255", width > 0, height > 0
        else { throw ReadError.invalidHeader(path: path) }
        let expectedBytes = width * height * layout.channels
        guard data.count - position >= expectedBytes else {
            throw ReadError.truncated(path: path, expectedBytes: expectedBytes, actualBytes: data.count - position)
        }
        return Image(
            width: width,
            height: height,
            layout: layout,
            pixels: Array(data[position..<(position + expectedBytes)])
        )
    }

    /// Writes an RGB image as PPM or a gray image as PGM; other layouts drop their alpha channel first.
    static func write(_ image: Image, path: String) throws {
        let colour = image.layout == .rgb || image.layout == .rgba
        let channels = colour ? 3 : 1
        var bytes = [UInt8]("\(colour ? "P6" : "P5")\n\(image.width) \(image.height)\n255\n".utf8)
        for pixel in 0..<(image.width * image.height) {
            let start = pixel * image.layout.channels
            bytes += image.pixels[start..<(start + channels)]
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func skipWhitespaceAndComments(_ data: [UInt8], _ position: inout Int) {
        while position < data.count {
            if isWhitespace(data[position]) {
                position += 1
            } else if data[position] == UInt8(ascii: "#") {
                while position < data.count, data[position] != 0x0A { position += 1 }
            } else {
                return
            }
        }
    }
}
