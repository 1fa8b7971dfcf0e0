internal import CPNG

/// Encodes PNG files with libpng's `png_image_write_to_memory`.
///
/// The simplified API always compresses at zlib level 6, so for other levels the IDAT stream is
/// inflated and compressed again with zlib at the requested level; libpng's row filters stay.
enum PNGEncoder {
    static func encode(_ image: Image, level: Int, metadata: ImageMetadata?) throws(ImageEncodingError) -> [UInt8] {
        guard (0...9).contains(level) else {
            throw .invalidCompressionLevel(level)
        }
        let written = try write(image, describesICC: metadata?.icc != nil)
        var chunks = PNGChunkReader(written).chunks.map { (type: $0.type, data: Array(written[$0.data])) }
        if level != 6 {
            chunks = try recompress(chunks, level: level, image: image)
        }
        let metadataChunks = try makeMetadataChunks(metadata)

        var output = PNGChunkReader.signature
        for (index, chunk) in chunks.enumerated() {
            output += PNGChunkWriter.chunk(type: chunk.type, data: chunk.data)
            if index == 0 {
                output += metadataChunks
            }
        }
        return output
    }

    /// Writes the pixels with png_image; without sRGB chunk when an ICC profile will be embedded.
    private static func write(_ image: Image, describesICC: Bool) throws(ImageEncodingError) -> [UInt8] {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        control.width = png_uint_32(image.width)
        control.height = png_uint_32(image.height)
        control.format = PNGDecoder.pngFormat(for: image.layout)
        if describesICC {
            control.flags = png_uint_32(PNG_IMAGE_FLAG_COLORSPACE_NOT_sRGB)
        }
        defer { png_image_free(&control) }

        var byteCount = 0
        var output: [UInt8] = []
        for pass in 0..<2 {
            if pass == 1 {
                output = [UInt8](repeating: 0, count: byteCount)
            }
            let status = image.pixels.withUnsafeBytes { pixels in
                output.withUnsafeMutableBytes { memory in
                    png_image_write_to_memory(
                        &control,
                        pass == 0 ? nil : memory.baseAddress,
                        &byteCount,
                        0,
                        pixels.baseAddress,
                        0,
                        nil
                    )
                }
            }
            guard status != 0 else {
                throw .encoderFailed(format: .png, detail: "libpng: \(PNGDecoder.message(of: &control))")
            }
        }
        return Array(output.prefix(byteCount))
    }

    /// Replaces the IDAT chunks with one stream compressed at `level`.
    private static func recompress(
        _ chunks: [(type: String, data: [UInt8])],
        level: Int,
        image: Image
    ) throws(ImageEncodingError) -> [(type: String, data: [UInt8])] {
        let stream = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        // Each row is one filter byte followed by the packed 8-bit samples.
        var rawLength = uLongf(image.height * (1 + image.bytesPerRow))
        var raw = [UInt8](repeating: 0, count: Int(rawLength))
        guard uncompress(&raw, &rawLength, stream, uLong(stream.count)) == Z_OK else {
            throw .encoderFailed(format: .png, detail: "zlib could not inflate libpng's IDAT stream")
        }
        var compressedLength = compressBound(rawLength)
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        guard compress2(&compressed, &compressedLength, raw, rawLength, Int32(level)) == Z_OK else {
            throw .encoderFailed(format: .png, detail: "zlib compress2 failed at level \(level)")
        }
        let idat = (type: "IDAT", data: Array(compressed.prefix(Int(compressedLength))))
        var result = chunks.filter { $0.type != "IDAT" && $0.type != "IEND" }
        result += [idat, (type: "IEND", data: [])]
        return result
    }

    /// Builds the iCCP, eXIf and XMP iTXt chunks that go right after IHDR.
    private static func makeMetadataChunks(_ metadata: ImageMetadata?) throws(ImageEncodingError) -> [UInt8] {
        guard let metadata else {
            return []
        }
        var output: [UInt8] = []
        if let icc = metadata.icc {
            guard let chunk = PNGChunkWriter.iccpChunk(profile: icc) else {
                throw .encoderFailed(format: .png, detail: "zlib could not compress the ICC profile")
            }
            output += chunk
        }
        if let exif = metadata.exif {
            output += PNGChunkWriter.chunk(type: "eXIf", data: try EXIFRewriter.uprightWithoutThumbnail(exif))
        }
        if let xmp = metadata.xmp {
            output += PNGChunkWriter.xmpChunk(packet: xmp)
        }
        return output
    }
}
