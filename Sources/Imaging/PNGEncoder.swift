internal import CPNG

/// Encodes 8-bit PNG files.
///
/// At the default level 6 libpng's `png_image_write_to_memory` writes the file. That API has no
/// compression setting, so other levels use our own row filters and zlib's `compress2`.
enum PNGEncoder {
    /// The zlib level that png_image_write_to_memory always uses.
    static let libpngLevel = 6

    static func encode(_ image: Image, level: Int, metadata: ImageMetadata?) throws(ImageEncodingError) -> [UInt8] {
        guard (0...9).contains(level) else {
            throw .invalidCompressionLevel(level)
        }
        let describesICC = metadata?.icc != nil
        let chunks: [PNGChunkContent]
        if level == libpngLevel {
            let written = try write(image, describesICC: describesICC)
            chunks = PNGChunkReader(written).chunks.map { (type: $0.type, data: Array(written[$0.data])) }
        } else {
            chunks = try makeChunks(image, level: level, describesICC: describesICC)
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

    /// Writes the pixels with png_image, leaving out the sRGB chunk when an ICC profile will be embedded.
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
