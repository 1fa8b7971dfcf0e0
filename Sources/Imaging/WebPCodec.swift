internal import CWebP

/// Decodes still WebP images with libwebp and reads metadata through the demux API.
enum WebPCodec {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageDecodingError) -> RawDecodedImage {
        // The RIFF size counts everything after its own 8-byte header.
        let riffSize = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        guard riffSize + 8 <= bytes.count else {
            throw .truncated(
                format: .webp,
                detail: "the RIFF header declares \(riffSize + 8) bytes but the file has \(bytes.count)"
            )
        }
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { buffer in
            WebPGetFeatures(buffer.baseAddress, buffer.count, &features)
        }
        guard status == VP8_STATUS_OK else {
            if status == VP8_STATUS_NOT_ENOUGH_DATA {
                throw .truncated(format: .webp, detail: "libwebp needs more data for the header")
            }
            throw .corrupt(format: .webp, detail: "libwebp status \(status.rawValue) reading the header")
        }
        try limits.check(width: Int(features.width), height: Int(features.height), format: .webp)
        guard features.has_animation == 0 else {
            throw .unsupportedFeature(format: .webp, detail: "animation")
        }

        let layout: PixelLayout = features.has_alpha != 0 ? .rgba : .rgb
        let image = try decodePixels(bytes, width: Int(features.width), height: Int(features.height), layout: layout)
        return RawDecodedImage(image: image, metadata: readMetadata(bytes))
    }

    private static func decodePixels(_ bytes: [UInt8], width: Int, height: Int, layout: PixelLayout)
        throws(ImageDecodingError) -> Image
    {
        var pixels = [UInt8](repeating: 0, count: width * height * layout.channels)
        let stride = Int32(width * layout.channels)
        let result = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                if layout == .rgba {
                    return WebPDecodeRGBAInto(input.baseAddress, input.count, output.baseAddress, output.count, stride)
                        != nil
                }
                return WebPDecodeRGBInto(input.baseAddress, input.count, output.baseAddress, output.count, stride)
                    != nil
            }
        }
        guard result else {
            throw .corrupt(format: .webp, detail: "libwebp could not decode the bitstream")
        }
        return Image(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// Reads the ICCP, EXIF and XMP chunks of an extended-format WebP file.
    private static func readMetadata(_ bytes: [UInt8]) -> ImageMetadata {
        bytes.withUnsafeBufferPointer { buffer in
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            guard let demuxer = WebPDemux(&data) else {
                return ImageMetadata()
            }
            defer { WebPDemuxDelete(demuxer) }
            var exif = chunk(demuxer, "EXIF")
            // Some writers keep the JPEG APP1 prefix in the chunk.
            if let bytes = exif, bytes.starts(with: EXIFRewriter.app1Header) {
                exif = Array(bytes.dropFirst(EXIFRewriter.app1Header.count))
            }
            return ImageMetadata(exif: exif, icc: chunk(demuxer, "ICCP"), xmp: chunk(demuxer, "XMP "))
        }
    }

    private static func chunk(_ demuxer: OpaquePointer, _ fourCC: String) -> [UInt8]? {
        var iterator = WebPChunkIterator()
        guard WebPDemuxGetChunk(demuxer, fourCC, 1, &iterator) != 0 else {
            return nil
        }
        defer { WebPDemuxReleaseChunkIterator(&iterator) }
        return Array(UnsafeBufferPointer(start: iterator.chunk.bytes, count: iterator.chunk.size))
    }
}
