internal import CHeif

/// libheif reference-counts its plugin registry, so the process initialises it once and never releases it.
private let heifInitialization: Void = {
    _ = heif_init(nil)
}()

/// Decodes the primary image of HEIF/HEIC files with libheif.
///
/// libheif applies the container's rotation and mirroring (irot, imir) itself, so the EXIF orientation
/// is reported in the metadata but not applied again.
enum HEIFDecoder {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageDecodingError) -> RawDecodedImage {
        heifInitialization
        if let detail = incompleteBoxDetail(bytes) {
            throw .truncated(format: .heif, detail: detail)
        }
        guard heif_have_decoder_for_format(heif_compression_HEVC) != 0 else {
            throw .unsupportedFeature(format: .heif, detail: "libheif has no HEVC decoder plugin on this machine")
        }
        guard let context = heif_context_alloc() else {
            throw .corrupt(format: .heif, detail: "libheif could not allocate a context")
        }
        defer { heif_context_free(context) }

        return try bytes.withUnsafeBufferPointer { buffer throws(ImageDecodingError) in
            try check(heif_context_read_from_memory_without_copy(context, buffer.baseAddress, buffer.count, nil))
            var handle: OpaquePointer?
            try check(heif_context_get_primary_image_handle(context, &handle))
            guard let handle else {
                throw .corrupt(format: .heif, detail: "no primary image")
            }
            defer { heif_image_handle_release(handle) }

            let width = Int(heif_image_handle_get_width(handle))
            let height = Int(heif_image_handle_get_height(handle))
            try limits.check(width: width, height: height, format: .heif)
            let image = try decodePixels(handle)
            return RawDecodedImage(image: image, metadata: readMetadata(handle), appliesEXIFOrientation: false)
        }
    }

    private static func decodePixels(_ handle: OpaquePointer) throws(ImageDecodingError) -> Image {
        let hasAlpha = heif_image_handle_has_alpha_channel(handle) != 0
        let layout: PixelLayout = hasAlpha ? .rgba : .rgb
        var decoded: OpaquePointer?
        let chroma = hasAlpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB
        try check(heif_decode_image(handle, &decoded, heif_colorspace_RGB, chroma, nil))
        guard let decoded else {
            throw .corrupt(format: .heif, detail: "libheif returned no image")
        }
        defer { heif_image_release(decoded) }

        let width = Int(heif_image_get_width(decoded, heif_channel_interleaved))
        let height = Int(heif_image_get_height(decoded, heif_channel_interleaved))
        var stride: Int32 = 0
        guard width > 0, height > 0,
            let plane = heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride)
        else {
            throw .corrupt(format: .heif, detail: "libheif returned no interleaved plane")
        }
        let rowBytes = width * layout.channels
        var pixels = [UInt8](repeating: 0, count: rowBytes * height)
        for row in 0..<height {
            let source = UnsafeBufferPointer(start: plane + row * Int(stride), count: rowBytes)
            pixels.replaceSubrange((row * rowBytes)..<((row + 1) * rowBytes), with: source)
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Reads the ICC profile, the EXIF block (after its 4-byte TIFF offset) and an XMP block.
    ///
    /// NOTE: An nclx colour description without an ICC profile (such as Display P3 primaries) is not read,
    /// so those pixels are treated as sRGB.
    private static func readMetadata(_ handle: OpaquePointer) -> ImageMetadata {
        var metadata = ImageMetadata()
        let profileSize = heif_image_handle_get_raw_color_profile_size(handle)
        if profileSize > 0 {
            var profile = [UInt8](repeating: 0, count: profileSize)
            if heif_image_handle_get_raw_color_profile(handle, &profile).code == heif_error_Ok {
                metadata.icc = profile
            }
        }
        if let block = metadataBlock(handle, type: "Exif"), block.count > 4 {
            let offset = Int(readBigEndianUInt32(block, at: 0))
            if offset <= block.count - 4 {
                metadata.exif = Array(block[(4 + offset)...])
            }
        }
        metadata.xmp = metadataBlock(handle, type: "mime")
        return metadata
    }

    private static func metadataBlock(_ handle: OpaquePointer, type: String) -> [UInt8]? {
        guard heif_image_handle_get_number_of_metadata_blocks(handle, type) > 0 else {
            return nil
        }
        var identifier: heif_item_id = 0
        guard heif_image_handle_get_list_of_metadata_block_IDs(handle, type, &identifier, 1) == 1 else {
            return nil
        }
        let size = heif_image_handle_get_metadata_size(handle, identifier)
        var block = [UInt8](repeating: 0, count: size)
        guard size > 0, heif_image_handle_get_metadata(handle, identifier, &block).code == heif_error_Ok else {
            return nil
        }
        return block
    }

    /// Walks the top-level ISO boxes and describes the first one that extends past the end of the file.
    ///
    /// libheif reports a cut file as a missing box ("No 'meta' box") when the metadata comes last,
    /// so the walk distinguishes truncation from corrupt data.
    static func incompleteBoxDetail(_ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            guard offset + 8 <= bytes.count else {
                return "the file ends inside a box header at byte \(bytes.count)"
            }
            var size = UInt64(readBigEndianUInt32(bytes, at: offset))
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if size == 1 {
                guard offset + 16 <= bytes.count else {
                    return "the file ends inside the '\(type)' box header at byte \(bytes.count)"
                }
                size =
                    UInt64(readBigEndianUInt32(bytes, at: offset + 8)) << 32
                    | UInt64(readBigEndianUInt32(bytes, at: offset + 12))
            } else if size == 0 {
                return nil  // The last box extends to the end of the file.
            }
            guard size >= 8, size <= UInt64(bytes.count - offset) else {
                if size < 8 {
                    return nil  // An invalid size is corrupt data, which libheif reports.
                }
                return
                    "the '\(type)' box at byte \(offset) declares \(size) bytes but the file ends at byte \(bytes.count)"
            }
            offset += Int(size)
        }
        return nil
    }

    /// Throws the libheif error as truncated, unsupported or corrupt data.
    private static func check(_ error: heif_error) throws(ImageDecodingError) {
        guard error.code != heif_error_Ok else {
            return
        }
        let message = error.message.map { String(cString: $0) } ?? "unknown error"
        if error.subcode == heif_suberror_End_of_data {
            throw .truncated(format: .heif, detail: "libheif: \(message)")
        }
        if error.code == heif_error_Unsupported_feature || error.code == heif_error_Unsupported_filetype {
            throw .unsupportedFeature(format: .heif, detail: "libheif: \(message)")
        }
        throw .corrupt(format: .heif, detail: "libheif: \(message)")
    }
}
