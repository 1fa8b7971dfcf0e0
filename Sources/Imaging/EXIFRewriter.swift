internal import CEXIF
internal import Glibc

/// Rewrites EXIF blocks for output with libexif.
enum EXIFRewriter {
    /// The six bytes that precede the TIFF structure in a JPEG APP1 segment.
    static let app1Header: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// Returns `exif` (TIFF structure) with the orientation set to 1 and the IFD1 thumbnail removed,
    /// because encoders write upright pixels and a stale thumbnail would show the old picture.
    static func uprightWithoutThumbnail(_ exif: [UInt8]) throws(ImageEncodingError) -> [UInt8] {
        guard EXIFReader(exif) != nil else {
            throw .invalidMetadata(kind: "EXIF", detail: "no TIFF header with byte order 'II' or 'MM'")
        }
        guard let data = exif_data_new() else {
            throw .encoderFailed(format: .jpeg, detail: "libexif could not allocate ExifData")
        }
        defer { exif_data_unref(data) }
        // Keep tags as they are: by default libexif drops unknown tags and adds mandatory ones on load.
        exif_data_unset_option(data, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS)
        exif_data_unset_option(data, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        let input = app1Header + exif
        input.withUnsafeBufferPointer { buffer in
            exif_data_load_data(data, buffer.baseAddress, UInt32(buffer.count))
        }

        resetOrientation(data)
        removeThumbnail(data)
        return try save(data)
    }

    private static func resetOrientation(_ data: UnsafeMutablePointer<ExifData>) {
        guard let ifd0 = data.pointee.ifd.0,
            let entry = exif_content_get_entry(ifd0, EXIF_TAG_ORIENTATION),
            entry.pointee.format == EXIF_FORMAT_SHORT,
            entry.pointee.components >= 1,
            entry.pointee.size >= 2,
            let value = entry.pointee.data
        else {
            return
        }
        exif_set_short(value, exif_data_get_byte_order(data), 1)
    }

    private static func removeThumbnail(_ data: UnsafeMutablePointer<ExifData>) {
        if let thumbnail = data.pointee.data {
            // libexif's default allocator is calloc, so free releases the thumbnail it loaded.
            free(thumbnail)
            data.pointee.data = nil
            data.pointee.size = 0
        }
        guard let ifd1 = data.pointee.ifd.1 else {
            return
        }
        while ifd1.pointee.count > 0, let entry = ifd1.pointee.entries[0] {
            exif_content_remove_entry(ifd1, entry)
        }
    }

    /// Serialises the EXIF data and strips the `Exif\0\0` prefix that libexif writes.
    private static func save(_ data: UnsafeMutablePointer<ExifData>) throws(ImageEncodingError) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt32 = 0
        exif_data_save_data(data, &buffer, &size)
        guard let buffer, Int(size) > app1Header.count else {
            throw .invalidMetadata(kind: "EXIF", detail: "libexif could not serialise the EXIF block")
        }
        defer { free(buffer) }
        let saved = Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
        return Array(saved.dropFirst(app1Header.count))
    }
}
