/// The segments of a JPEG file that TurboJPEG does not expose: metadata, the Adobe colour transform,
/// the frame size and whether the file ends with an EOI marker.
struct JPEGMarkerScan {
    static let exifIdentifier: [UInt8] = Array("Exif".utf8) + [0, 0]
    static let xmpIdentifier: [UInt8] = Array("http://ns.adobe.com/xap/1.0/".utf8) + [0]
    static let iccIdentifier: [UInt8] = Array("ICC_PROFILE".utf8) + [0]

    var exif: [UInt8]?
    var xmp: [UInt8]?
    /// ICC chunks from APP2 segments keyed by their 1-based sequence number.
    var iccChunks: [Int: [UInt8]] = [:]
    var iccChunkCount = 0
    /// The transform byte of an APP14 "Adobe" segment (0 CMYK or RGB, 1 YCbCr, 2 YCCK), nil without one.
    var adobeTransform: UInt8?
    var frameSize: (width: Int, height: Int)?
    var hasEndOfImage = false

    init(_ bytes: [UInt8]) {
        var offset = 2
        while let marker = Self.nextMarker(bytes, from: &offset) {
            if marker == 0xD9 {
                hasEndOfImage = true
                return
            }
            // RST0...RST7 and TEM carry no length.
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {
                continue
            }
            guard offset + 2 <= bytes.count else {
                return
            }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard length >= 2, offset + length <= bytes.count else {
                return
            }
            record(marker: marker, payload: bytes[(offset + 2)..<(offset + length)])
            offset += length
            if marker == 0xDA {
                Self.skipEntropyCodedData(bytes, from: &offset)
            }
        }
    }

    /// Moves past fill bytes and returns the next marker code, or nil at the end of the bytes.
    private static func nextMarker(_ bytes: [UInt8], from offset: inout Int) -> UInt8? {
        // Like libjpeg, skip stray bytes before a marker instead of failing.
        while offset < bytes.count, bytes[offset] != 0xFF {
            offset += 1
        }
        while offset < bytes.count, bytes[offset] == 0xFF {
            offset += 1
        }
        guard offset < bytes.count else {
            return nil
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Advances to the first marker after a scan. Stuffed 0xFF00 bytes and RSTn markers belong to the scan.
    private static func skipEntropyCodedData(_ bytes: [UInt8], from offset: inout Int) {
        while offset + 1 < bytes.count {
            if bytes[offset] == 0xFF {
                let next = bytes[offset + 1]
                if next != 0x00 && next != 0xFF && !(0xD0...0xD7).contains(next) {
                    return
                }
            }
            offset += 1
        }
        offset = bytes.count
    }

    private mutating func record(marker: UInt8, payload: ArraySlice<UInt8>) {
        switch marker {
        case 0xE1 where payload.starts(with: Self.exifIdentifier) && exif == nil:
            exif = Array(payload.dropFirst(Self.exifIdentifier.count))
        case 0xE1 where payload.starts(with: Self.xmpIdentifier) && xmp == nil:
            xmp = Array(payload.dropFirst(Self.xmpIdentifier.count))
        case 0xE2 where payload.starts(with: Self.iccIdentifier) && payload.count > Self.iccIdentifier.count + 2:
            let start = payload.startIndex + Self.iccIdentifier.count
            iccChunks[Int(payload[start])] = Array(payload[(start + 2)...])
            iccChunkCount = Int(payload[start + 1])
        case 0xEE where payload.starts(with: Array("Adobe".utf8)) && payload.count >= 12:
            adobeTransform = payload[payload.startIndex + 11]
        case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC && payload.count >= 5:
            let start = payload.startIndex
            let height = Int(payload[start + 1]) << 8 | Int(payload[start + 2])
            let width = Int(payload[start + 3]) << 8 | Int(payload[start + 4])
            frameSize = (width, height)
        default:
            break
        }
    }

    /// The ICC profile joined from its APP2 chunks in sequence order, or nil when a chunk is missing.
    var iccProfile: [UInt8]? {
        guard iccChunkCount > 0, iccChunks.count == iccChunkCount else {
            return nil
        }
        var profile: [UInt8] = []
        for sequence in 1...iccChunkCount {
            guard let chunk = iccChunks[sequence] else {
                return nil
            }
            profile += chunk
        }
        return profile
    }
}

/// Builds JPEG APPn segments for metadata.
enum JPEGSegmentWriter {
    /// The largest payload of one segment: the 16-bit length counts itself (2 bytes).
    static let maxPayload = 65533
    /// The largest ICC chunk: the payload also contains the identifier and two sequence bytes.
    static let maxICCChunk = maxPayload - 14

    static func segment(marker: UInt8, payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    /// Builds the APP1 EXIF, APP1 XMP and APP2 ICC segments for `metadata`.
    static func segments(for metadata: ImageMetadata) throws(ImageEncodingError) -> [UInt8] {
        var output: [UInt8] = []
        if let exif = metadata.exif {
            let payload = EXIFRewriter.app1Header + (try EXIFRewriter.uprightWithoutThumbnail(exif))
            guard payload.count <= maxPayload else {
                throw .metadataTooLarge(kind: "EXIF", byteCount: payload.count - 6, maxByteCount: maxPayload - 6)
            }
            output += segment(marker: 0xE1, payload: payload)
        }
        if let xmp = metadata.xmp {
            let identifier = JPEGMarkerScan.xmpIdentifier
            guard xmp.count + identifier.count <= maxPayload else {
                throw .metadataTooLarge(kind: "XMP", byteCount: xmp.count, maxByteCount: maxPayload - identifier.count)
            }
            output += segment(marker: 0xE1, payload: identifier + xmp)
        }
        if let icc = metadata.icc {
            output += try iccSegments(icc)
        }
        return output
    }

    /// Splits a profile into numbered APP2 chunks. The one-byte count field limits a profile to 255 chunks.
    private static func iccSegments(_ icc: [UInt8]) throws(ImageEncodingError) -> [UInt8] {
        let chunkCount = max(1, (icc.count + maxICCChunk - 1) / maxICCChunk)
        guard chunkCount <= 255 else {
            throw .metadataTooLarge(kind: "ICC", byteCount: icc.count, maxByteCount: 255 * maxICCChunk)
        }
        var output: [UInt8] = []
        for index in 0..<chunkCount {
            let chunk = icc[(index * maxICCChunk)..<min(icc.count, (index + 1) * maxICCChunk)]
            let payload = JPEGMarkerScan.iccIdentifier + [UInt8(index + 1), UInt8(chunkCount)] + chunk
            output += segment(marker: 0xE2, payload: payload)
        }
        return output
    }
}
