public import Imaging

/// A minimal PNG writer and reader whose zlib stream uses only uncompressed ("stored") deflate blocks.
///
/// Enough for tests, the fake servers and the benchmark until the daemon's libpng codec is wired in.
/// The reader accepts 8-bit gray, gray+alpha, RGB and RGBA, non-interlaced, with any row filter,
/// but only stored deflate blocks, so it reads what `encode` writes and not PNGs from other encoders.
public enum StoredPNG {
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notPNG
        case unsupported(String)
        case corrupt(String)

        public var description: String {
            switch self {
            case .notPNG: "the data is not a PNG file (signature missing)"
            case .unsupported(let detail): "unsupported PNG: \(detail)"
            case .corrupt(let detail): "corrupt PNG: \(detail)"
            }
        }
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func encode(_ image: Image) -> [UInt8] {
        let colorType: UInt8 =
            switch image.layout {
            case .gray: 0
            case .grayAlpha: 4
            case .rgb: 2
            case .rgba: 6
            }
        var header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
        header += [8, colorType, 0, 0, 0]

        var raw: [UInt8] = []
        raw.reserveCapacity((image.bytesPerRow + 1) * image.height)
        for row in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(row * image.bytesPerRow)..<((row + 1) * image.bytesPerRow)]
        }
        return signature + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Image {
        guard bytes.starts(with: signature) else { throw .notPNG }
        let (header, compressed) = try readChunks(bytes)

        guard header.count == 13 else { throw .corrupt("IHDR chunk missing") }
        let width = Int(readUInt32(header, 0))
        let height = Int(readUInt32(header, 4))
        guard width > 0, height > 0 else { throw .corrupt("zero width or height") }
        guard header[8] == 8, header[12] == 0 else { throw .unsupported("only 8-bit non-interlaced images") }
        let layout: PixelLayout
        switch header[9] {
        case 0: layout = .gray
        case 4: layout = .grayAlpha
        case 2: layout = .rgb
        case 6: layout = .rgba
        default: throw .unsupported("colour type \(header[9])")
        }

        let raw = try inflateStored(compressed)
        let pixels = try unfilter(raw, width: width, height: height, channels: layout.channels)
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Returns the IHDR data and the joined IDAT data.
    private static func readChunks(_ bytes: [UInt8]) throws(DecodeError) -> (header: [UInt8], compressed: [UInt8]) {
        var offset = 8
        var header: [UInt8] = []
        var compressed: [UInt8] = []
        while offset + 12 <= bytes.count {
            let length = Int(readUInt32(bytes, offset))
            guard offset + 12 + length <= bytes.count else { throw .corrupt("chunk runs past the end of the file") }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            if type == "IHDR" { header = data }
            if type == "IDAT" { compressed += data }
            offset += 12 + length
            if type == "IEND" { break }
        }
        return (header, compressed)
    }

    private static func unfilter(_ raw: [UInt8], width: Int, height: Int, channels: Int) throws(DecodeError) -> [UInt8]
    {
        let stride = width * channels
        guard raw.count == (stride + 1) * height else {
            throw .corrupt("image data has \(raw.count) bytes, expected \((stride + 1) * height)")
        }
        var pixels = [UInt8](repeating: 0, count: stride * height)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let value = raw[row * (stride + 1) + 1 + column]
                let left = column >= channels ? Int(pixels[row * stride + column - channels]) : 0
                let up = row > 0 ? Int(pixels[(row - 1) * stride + column]) : 0
                let upLeft = row > 0 && column >= channels ? Int(pixels[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4: predictor = paeth(left, up, upLeft)
                default: throw .corrupt("row filter \(filter)")
                }
                pixels[row * stride + column] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
        }
        return pixels
    }

    private static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65535, data.count - offset)
            let isLast: UInt8 = offset + count == data.count ? 1 : 0
            out += [isLast, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<(offset + count)]
            offset += count
        } while offset < data.count
        return out + bigEndian(adler32(data))
    }

    private static func inflateStored(_ stream: [UInt8]) throws(DecodeError) -> [UInt8] {
        guard stream.count >= 6, stream[0] & 0x0F == 8 else { throw .corrupt("invalid zlib header") }
        var offset = 2
        var out: [UInt8] = []
        while true {
            guard offset + 5 <= stream.count else { throw .corrupt("deflate stream ends early") }
            let blockHeader = stream[offset]
            guard blockHeader & 0x06 == 0 else {
                throw .unsupported("compressed deflate blocks (this reader handles stored blocks only)")
            }
            let length = Int(stream[offset + 1]) | Int(stream[offset + 2]) << 8
            offset += 5
            guard offset + length <= stream.count else { throw .corrupt("stored block runs past the end") }
            out += stream[offset..<(offset + length)]
            offset += length
            if blockHeader & 1 == 1 { break }
        }
        guard offset + 4 <= stream.count, readUInt32(stream, offset) == adler32(out) else {
            throw .corrupt("Adler-32 mismatch")
        }
        return out
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
