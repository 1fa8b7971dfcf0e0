internal import CPNG

/// One chunk of a PNG file, with its data as a range into the file bytes.
struct PNGChunk {
    var type: String
    var data: Range<Int>
}

/// Reads the chunk structure of a PNG file, which the png_image API hides.
struct PNGChunkReader {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The largest inflated iCCP profile accepted, so a compressed bomb cannot exhaust memory.
    static let maxProfileByteCount = 16 << 20

    let chunks: [PNGChunk]
    /// Whether the walk reached an IEND chunk before the end of the bytes.
    let hasEnd: Bool

    init(_ bytes: [UInt8]) {
        var chunks: [PNGChunk] = []
        var offset = Self.signature.count
        var hasEnd = false
        while offset + 12 <= bytes.count {
            let length = Int(readBigEndianUInt32(bytes, at: offset))
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let dataStart = offset + 8
            guard length <= bytes.count - dataStart - 4 else {
                break
            }
            chunks.append(PNGChunk(type: type, data: dataStart..<dataStart + length))
            offset = dataStart + length + 4
            if type == "IEND" {
                hasEnd = true
                break
            }
        }
        self.chunks = chunks
        self.hasEnd = hasEnd
    }

    /// Width and height from IHDR, or nil when the first chunk is not a complete IHDR.
    static func headerSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, bytes[12..<16].elementsEqual("IHDR".utf8) else {
            return nil
        }
        return (Int(readBigEndianUInt32(bytes, at: 16)), Int(readBigEndianUInt32(bytes, at: 20)))
    }

    /// Extracts the eXIf payload and the inflated iCCP profile, with warnings for unreadable blocks.
    func metadata(in bytes: [UInt8]) -> (metadata: ImageMetadata, warnings: [String]) {
        var metadata = ImageMetadata()
        var warnings: [String] = []
        if let exif = chunks.first(where: { $0.type == "eXIf" }) {
            metadata.exif = Array(bytes[exif.data])
        }
        if let iccp = chunks.first(where: { $0.type == "iCCP" }) {
            let data = Array(bytes[iccp.data])
            if let profile = Self.inflateICCP(data) {
                metadata.icc = profile
            } else {
                warnings.append("The iCCP chunk could not be decompressed, so the colours were read as sRGB.")
            }
        }
        if let itxt = chunks.first(where: { isXMP($0, in: bytes) }) {
            metadata.xmp = Self.xmpPacket(Array(bytes[itxt.data]))
        }
        return (metadata, warnings)
    }

    private func isXMP(_ chunk: PNGChunk, in bytes: [UInt8]) -> Bool {
        chunk.type == "iTXt" && bytes[chunk.data].starts(with: Array("XML:com.adobe.xmp\0".utf8))
    }

    /// Returns the text of an uncompressed XMP iTXt chunk, or nil when it is compressed.
    static func xmpPacket(_ data: [UInt8]) -> [UInt8]? {
        // Layout: keyword \0, compression flag, compression method, language tag \0, translated keyword \0, text.
        let keywordEnd = "XML:com.adobe.xmp".utf8.count
        guard data.count > keywordEnd + 3, data[keywordEnd + 1] == 0 else {
            return nil
        }
        var offset = keywordEnd + 3
        for _ in 0..<2 {
            guard let terminator = data[offset...].firstIndex(of: 0) else {
                return nil
            }
            offset = terminator + 1
        }
        return Array(data[offset...])
    }

    /// Inflates the zlib stream after the profile name of an iCCP chunk.
    static func inflateICCP(_ data: [UInt8]) -> [UInt8]? {
        guard let nameEnd = data.firstIndex(of: 0), nameEnd + 2 <= data.count, data[nameEnd + 1] == 0 else {
            return nil
        }
        let compressed = Array(data[(nameEnd + 2)...])
        var capacity = max(compressed.count * 4, 4096)
        while capacity <= maxProfileByteCount {
            var output = [UInt8](repeating: 0, count: capacity)
            var outputLength = uLongf(capacity)
            let status = uncompress(&output, &outputLength, compressed, uLong(compressed.count))
            if status == Z_OK {
                return Array(output.prefix(Int(outputLength)))
            }
            guard status == Z_BUF_ERROR, outputLength == uLongf(capacity) else {
                return nil
            }
            capacity *= 2
        }
        return nil
    }
}

/// Builds PNG chunks for metadata that png_image cannot write.
enum PNGChunkWriter {
    /// Serialises one chunk with its length and CRC.
    static func chunk(type: String, data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var output = bigEndianBytes(UInt32(data.count))
        output += typeBytes
        output += data
        let crc = (typeBytes + data).withUnsafeBufferPointer { buffer in
            crc32(0, buffer.baseAddress, uInt(buffer.count))
        }
        output += bigEndianBytes(UInt32(truncatingIfNeeded: crc))
        return output
    }

    /// Builds an iCCP chunk with a zlib-compressed profile, or nil when compression fails.
    static func iccpChunk(profile: [UInt8]) -> [UInt8]? {
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(uLong(profile.count))))
        var compressedLength = uLongf(compressed.count)
        guard compress2(&compressed, &compressedLength, profile, uLong(profile.count), 9) == Z_OK else {
            return nil
        }
        let data = Array("ICC profile".utf8) + [0, 0] + compressed.prefix(Int(compressedLength))
        return chunk(type: "iCCP", data: data)
    }

    /// Builds an uncompressed iTXt chunk with the XMP keyword.
    static func xmpChunk(packet: [UInt8]) -> [UInt8] {
        chunk(type: "iTXt", data: Array("XML:com.adobe.xmp".utf8) + [0, 0, 0, 0, 0] + packet)
    }
}

func readBigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
        | UInt32(bytes[offset + 3])
}

func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    [
        UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
        UInt8(truncatingIfNeeded: value),
    ]
}
