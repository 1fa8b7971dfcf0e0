internal import CPNG

/// Decodes PNG files with libpng's simplified `png_image` API, which reports errors by return code
/// instead of longjmp.
enum PNGDecoder {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageDecodingError) -> RawDecodedImage {
        guard let size = PNGChunkReader.headerSize(bytes) else {
            if bytes.count < 33 {
                throw .truncated(format: .png, detail: "the file ends inside the IHDR header at byte \(bytes.count)")
            }
            throw .corrupt(format: .png, detail: "the first chunk is not IHDR")
        }
        try limits.check(width: size.width, height: size.height, format: .png)

        let chunkReader = PNGChunkReader(bytes)
        guard chunkReader.hasEnd else {
            throw .truncated(format: .png, detail: "no IEND chunk in \(bytes.count) bytes")
        }
        let image = try decodePixels(bytes)
        let (metadata, warnings) = chunkReader.metadata(in: bytes)
        return RawDecodedImage(image: image, metadata: metadata, warnings: warnings)
    }

    /// Runs png_image_begin_read and png_image_finish_read, keeping alpha only when the file has it.
    ///
    /// Both calls happen inside one `withUnsafeBufferPointer`, because libpng keeps reading from the
    /// memory that png_image_begin_read_from_memory received.
    private static func decodePixels(_ bytes: [UInt8]) throws(ImageDecodingError) -> Image {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&control) }

        return try bytes.withUnsafeBufferPointer { buffer throws(ImageDecodingError) in
            guard png_image_begin_read_from_memory(&control, buffer.baseAddress, buffer.count) != 0 else {
                throw mapError(message(of: &control))
            }

            let layout = layout(forFileFormat: control.format)
            // Files with 16 bits per channel and no gAMA chunk are sRGB in practice, not linear. The flag is
            // set here because png_image_begin_read_from_memory clears the whole structure.
            control.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
            control.format = pngFormat(for: layout)
            var pixels = [UInt8](repeating: 0, count: Int(control.width) * Int(control.height) * layout.channels)
            let finished = pixels.withUnsafeMutableBytes { output in
                png_image_finish_read(&control, nil, output.baseAddress, 0, nil)
            }
            guard finished != 0 else {
                throw mapError(message(of: &control))
            }
            return Image(width: Int(control.width), height: Int(control.height), layout: layout, pixels: pixels)
        }
    }

    static func layout(forFileFormat format: png_uint_32) -> PixelLayout {
        let hasColor = format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        switch (hasColor, hasAlpha) {
        case (false, false): return .gray
        case (false, true): return .grayAlpha
        case (true, false): return .rgb
        case (true, true): return .rgba
        }
    }

    static func pngFormat(for layout: PixelLayout) -> png_uint_32 {
        switch layout {
        case .gray: png_uint_32(PNG_FORMAT_GRAY)
        case .grayAlpha: png_uint_32(PNG_FORMAT_GA)
        case .rgb: png_uint_32(PNG_FORMAT_RGB)
        case .rgba: png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        }
    }

    /// Copies libpng's fixed-size message buffer into a String.
    static func message(of control: inout png_image) -> String {
        withUnsafeBytes(of: &control.message) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Sorts libpng's messages into truncated and corrupt data.
    private static func mapError(_ message: String) -> ImageDecodingError {
        let lowered = message.lowercased()
        if lowered.contains("not enough") || lowered.contains("read beyond") || lowered.contains("end of") {
            return .truncated(format: .png, detail: "libpng: \(message)")
        }
        return .corrupt(format: .png, detail: "libpng: \(message)")
    }
}
