import Foundation
import Imaging

/// Builders for malformed and hostile image bytes: patched headers, decompression bombs, cut files.
enum HostileBytes {
    static func validPNG(width: Int = 32, height: Int = 24) throws -> [UInt8] {
        [UInt8](try TinyJobs.png(width: width, height: height, seed: 7))
    }

    static func validJPEG() throws -> [UInt8] {
        [UInt8](try TinyJobs.jpeg(width: 32, height: 24, seed: 7))
    }

    static func validWebP() throws -> [UInt8] {
        try ImageEncoder.encode(TinyJobs.pattern(width: 32, height: 24, seed: 7), options: EncodeOptions(format: .webp))
    }

    // MARK: - PNG

    /// Returns a PNG chunk: length, type, data and the CRC-32 of type and data.
    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian32(UInt32(data.count)) + typeBytes + data + bigEndian32(crc32(typeBytes + data))
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Returns an 8-bit RGB PNG header of any size, with a valid CRC.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        pngSignature + pngChunk("IHDR", bigEndian32(width) + bigEndian32(height) + [8, 2, 0, 0, 0])
    }

    /// Returns a PNG that declares `width` x `height` and carries a zlib stream of `zeroBytes` zeros, so a decoder
    /// that trusts the header allocates the whole image and inflates far more than the file size.
    static func pngBomb(width: UInt32, height: UInt32, zeroBytes: Int) -> [UInt8] {
        pngHeader(width: width, height: height) + pngChunk("IDAT", zlibZeros(zeroBytes)) + pngChunk("IEND", [])
    }

    /// Returns a zlib stream of `count` zero bytes in one fixed-Huffman block. The block is a literal zero,
    /// then matches of length 258 at distance 1, which cost 13 bits each, so the ratio is about 150 to 1.
    static func zlibZeros(_ count: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        bits.writeHuffman(0x30, length: 8)  // literal 0
        var remaining = count - 1
        while remaining >= 258 {
            bits.writeHuffman(0xC5, length: 8)  // length code 285: a match of 258 bytes
            bits.writeHuffman(0, length: 5)  // distance code 0: distance 1
            remaining -= 258
        }
        while remaining > 0 {
            bits.writeHuffman(0x30, length: 8)
            remaining -= 1
        }
        bits.writeHuffman(0, length: 7)  // end of block
        // Adler-32 of zeros: a stays 1, b grows by 1 per byte.
        let adler = UInt32(count % 65521) << 16 | 1
        return [0x78, 0x01] + bits.finished + bigEndian32(adler)
    }

    /// Returns a valid PNG whose IHDR now declares another size, with the CRC fixed so only the size is wrong.
    static func pngWithSize(width: UInt32, height: UInt32) throws -> [UInt8] {
        var bytes = try validPNG()
        bytes.replaceSubrange(16..<24, with: bigEndian32(width) + bigEndian32(height))
        bytes.replaceSubrange(29..<33, with: bigEndian32(crc32(Array(bytes[12..<29]))))
        return bytes
    }

    // MARK: - JPEG and WebP

    /// Returns a valid JPEG whose SOF marker now declares another size.
    static func jpegWithSize(width: UInt16, height: UInt16) throws -> [UInt8] {
        var bytes = try validJPEG()
        guard let sof = (2..<(bytes.count - 9)).first(where: { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) }) else {
            return bytes
        }
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
        return bytes
    }

    /// Returns a valid lossy WebP whose VP8 frame header now declares another size (14 bits each, at most 16383).
    static func webpWithSize(width: UInt16, height: UInt16) throws -> [UInt8] {
        var bytes = try validWebP()
        guard let start = (0..<(bytes.count - 7)).first(where: { bytes[$0] == 0x9D && bytes[$0 + 1] == 0x01 && bytes[$0 + 2] == 0x2A }) else {
            return bytes
        }
        bytes.replaceSubrange((start + 3)..<(start + 7), with: [UInt8(width & 0xFF), UInt8(width >> 8), UInt8(height & 0xFF), UInt8(height >> 8)])
        return bytes
    }

    /// Returns the first half of `bytes`.
    static func truncated(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.prefix(bytes.count / 2))
    }

    /// `bytes` with the bytes between one third and one half inverted, so the file still ends properly
    /// (IEND, EOI) but its compressed data is damaged.
    static func corrupted(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        for index in (copy.count / 3)..<(copy.count / 2) { copy[index] ^= 0xFF }
        return copy
    }

    /// Deterministic noise, so a failing case can be rerun byte for byte.
    static func noise(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    // MARK: - Helpers

    static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// CRC-32 as PNG uses it (polynomial 0xEDB88320, reflected).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Packs bits least significant first, as deflate stores them.
    struct BitWriter {
        var bytes: [UInt8] = []
        private var current: UInt8 = 0
        private var used = 0

        mutating func write(_ value: UInt32, count: Int) {
            for bit in 0..<count { push(UInt8((value >> bit) & 1)) }
        }

        /// Writes a Huffman code most significant bit first, as deflate requires.
        mutating func writeHuffman(_ code: UInt32, length: Int) {
            for bit in stride(from: length - 1, through: 0, by: -1) { push(UInt8((code >> bit) & 1)) }
        }

        private mutating func push(_ bit: UInt8) {
            current |= bit << used
            used += 1
            if used == 8 {
                bytes.append(current)
                current = 0
                used = 0
            }
        }

        /// The bytes written so far, with the last partial byte.
        var finished: [UInt8] { used == 0 ? bytes : bytes + [current] }
    }
}
