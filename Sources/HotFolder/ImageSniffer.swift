import Foundation

/// Image formats recognised by their first bytes.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, heif, avif, gif, tiff, bmp

    /// Recognises the format from the start of a file, or returns nil when it is not an image.
    public static func sniff(_ header: [UInt8]) -> ImageFormat? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            header.count >= offset + magic.count && Array(header[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("BM".utf8)) && header.count >= 14 { return .bmp }
        if starts(Array("ftyp".utf8), at: 4) { return sniffBrands(header) }
        return nil
    }

    /// Reads the `ftyp` box's major and compatible brands (ISO/IEC 14496-12) within the header.
    static func sniffBrands(_ header: [UInt8]) -> ImageFormat? {
        let boxSize = header.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        let end = min(header.count, max(boxSize, 12))
        var brands: [String] = []
        for offset in stride(from: 8, to: end - 3, by: 4) where offset != 12 {
            brands.append(String(decoding: header[offset..<offset + 4], as: UTF8.self))
        }
        if brands.contains(where: { ["avif", "avis"].contains($0) }) { return .avif }
        let heifBrands = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]
        return brands.contains(where: heifBrands.contains) ? .heif : nil
    }

    /// Reads at most the first 32 bytes of a regular file and sniffs them; returns nil for non-images.
    static func sniff(fileAt path: String) throws(HotFolderError) -> ImageFormat? {
        // With O_NONBLOCK, open(2) returns at once even for a FIFO swapped in after `lstat`.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw .systemCall(call: "open", path: path, errno: errno) }
        defer { close(descriptor) }

        var header = [UInt8](repeating: 0, count: 32)
        let count = header.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 32) }
        guard count >= 0 else { throw .systemCall(call: "read", path: path, errno: errno) }
        return sniff(Array(header.prefix(count)))
    }
}
