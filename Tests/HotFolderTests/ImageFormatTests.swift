import Foundation
import Testing

@testable import HotFolder

struct MagicCase: CustomTestStringConvertible, Sendable {
    var name: String
    var header: [UInt8]
    var format: ImageFormat?
    var testDescription: String { name }
}

struct ImageFormatTests {
    static func ftyp(_ major: String, _ compatible: [String]) -> [UInt8] {
        let size = 16 + 4 * compatible.count
        return [0, 0, 0, UInt8(size)] + Array("ftyp".utf8) + Array(major.utf8) + [0, 0, 0, 0]
            + compatible.flatMap { Array($0.utf8) }
    }

    static let cases: [MagicCase] = [
        MagicCase(name: "png", header: Fixtures.smallPNG, format: .png),
        MagicCase(name: "jpeg", header: [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], format: .jpeg),
        MagicCase(name: "webp", header: Array("RIFF".utf8) + [1, 2, 3, 4] + Array("WEBPVP8 ".utf8), format: .webp),
        MagicCase(name: "heic", header: ftyp("heic", ["mif1", "heic"]), format: .heif),
        MagicCase(name: "heif mif1 only", header: ftyp("mif1", ["mif1"]), format: .heif),
        MagicCase(name: "avif", header: ftyp("avif", ["mif1", "avif"]), format: .avif),
        MagicCase(name: "mp4 is not an image", header: ftyp("isom", ["isom", "mp41"]), format: nil),
        MagicCase(name: "gif", header: Array("GIF89a".utf8) + [1, 0, 1, 0], format: .gif),
        MagicCase(name: "tiff little-endian", header: [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], format: .tiff),
        MagicCase(name: "tiff big-endian", header: [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8], format: .tiff),
        MagicCase(name: "bmp", header: Array("BM".utf8) + Array(repeating: 0, count: 30), format: .bmp),
        MagicCase(name: "yaml text", header: Array("prompt: winter\n".utf8), format: nil),
        MagicCase(name: "empty", header: [], format: nil),
        MagicCase(name: "riff wave", header: Array("RIFF".utf8) + [1, 2, 3, 4] + Array("WAVEfmt ".utf8), format: nil),
    ]

    @Test(arguments: cases)
    func sniffHeader(_ testCase: MagicCase) {
        #expect(ImageFormat.sniff(testCase.header) == testCase.format)
    }

    @Test func sniffRealPhoto() throws {
        let format = try ImageFormat.sniff(fileAt: Fixtures.photo("kite.jpg"))

        #expect(format == .jpeg)
    }

    @Test func sniffMissingFile() {
        #expect(throws: HotFolderError.systemCall(call: "open", path: "/nonexistent/x.jpg", errno: ENOENT)) {
            try ImageFormat.sniff(fileAt: "/nonexistent/x.jpg")
        }
    }

    @Test func errorText() {
        let error = HotFolderError.systemCall(call: "open", path: "/nonexistent/x.jpg", errno: ENOENT)

        #expect(error.description == "open failed on '/nonexistent/x.jpg': No such file or directory")
    }
}
