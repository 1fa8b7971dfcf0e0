/// An image file format that the codecs decode, recognised by its magic bytes.
public enum ImageFileFormat: String, Sendable, CaseIterable {
    case png
    case jpeg
    case webp
    case heif

    /// The number of leading bytes that `detect(_:)` needs to recognise every supported format.
    public static let detectionByteCount = 12

    /// HEIF brands in the `ftyp` box that mark HEIF/HEIC still images and sequences.
    static let heifBrands: Set<String> = [
        "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1",
    ]

    /// AVIF brands. AVIF files share the HEIF container but are reported as unsupported.
    static let avifBrands: Set<String> = ["avif", "avis"]

    /// Detects the format from the file's first bytes, or returns nil for anything else.
    ///
    /// AVIF files are not reported as `.heif` even though they use the same container.
    public static func detect<C: Collection>(_ bytes: C) -> ImageFileFormat? where C.Element == UInt8 {
        let head = Array(bytes.prefix(64))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            return .jpeg
        }
        if head.count >= 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WEBP".utf8) {
            return .webp
        }
        let brands = isoBrands(head)
        if !brands.isEmpty, brands.isDisjoint(with: avifBrands), !brands.isDisjoint(with: heifBrands) {
            return .heif
        }
        return nil
    }

    /// Names a recognised but unsupported format (GIF, TIFF, BMP, AVIF), or returns nil.
    static func unsupportedFormatName(_ head: [UInt8]) -> String? {
        if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) {
            return "GIF"
        }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "TIFF"
        }
        if head.starts(with: Array("BM".utf8)) && head.count >= 14 {
            return "BMP"
        }
        if !isoBrands(head).isDisjoint(with: avifBrands) {
            return "AVIF"
        }
        return nil
    }

    /// Reads the major and compatible brands of an ISO base media `ftyp` box at the start of the file.
    static func isoBrands(_ head: [UInt8]) -> Set<String> {
        guard head.count >= 12, head[4..<8].elementsEqual("ftyp".utf8) else {
            return []
        }
        let boxSize = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
        let end = min(max(boxSize, 12), head.count)
        var brands: Set<String> = []
        var offset = 8
        while offset + 4 <= end {
            // Bytes 12..<16 are the minor version, not a brand.
            if offset != 12 {
                brands.insert(String(decoding: head[offset..<offset + 4], as: UTF8.self))
            }
            offset += 4
        }
        return brands
    }

    /// The name used in messages, such as "JPEG".
    var displayName: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPEG"
        case .webp: "WebP"
        case .heif: "HEIF"
        }
    }
}
