internal import CWebP

/// Encodes WebP with libwebp: lossy at quality 1...99, lossless at 100.
enum WebPEncoder {
    static func encode(_ image: Image, quality: Int, metadata: ImageMetadata?) throws(ImageEncodingError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw .invalidQuality(quality)
        }
        guard image.width <= WEBP_MAX_DIMENSION, image.height <= WEBP_MAX_DIMENSION else {
            throw .encoderFailed(
                format: .webp,
                detail: "\(image.width)x\(image.height) pixels exceed WebP's maximum of \(WEBP_MAX_DIMENSION) per side"
            )
        }
        let source = image.converted(to: image.layout.hasAlpha ? .rgba : .rgb)
        let bitstream = try compress(source, quality: quality)
        guard let metadata, metadata.exif != nil || metadata.icc != nil || metadata.xmp != nil else {
            return bitstream
        }
        return try addMetadata(metadata, to: bitstream)
    }

    private static func compress(_ image: Image, quality: Int) throws(ImageEncodingError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        let stride = Int32(image.bytesPerRow)
        let (width, height) = (Int32(image.width), Int32(image.height))
        let size = image.pixels.withUnsafeBufferPointer { pixels in
            switch (image.layout == .rgba, quality == 100) {
            case (true, true): WebPEncodeLosslessRGBA(pixels.baseAddress, width, height, stride, &output)
            case (false, true): WebPEncodeLosslessRGB(pixels.baseAddress, width, height, stride, &output)
            case (true, false): WebPEncodeRGBA(pixels.baseAddress, width, height, stride, Float(quality), &output)
            case (false, false): WebPEncodeRGB(pixels.baseAddress, width, height, stride, Float(quality), &output)
            }
        }
        defer { WebPFree(output) }
        guard size > 0, let output else {
            throw .encoderFailed(format: .webp, detail: "libwebp returned no data")
        }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Wraps the bitstream in an extended WebP container with ICCP, EXIF and XMP chunks.
    private static func addMetadata(_ metadata: ImageMetadata, to bitstream: [UInt8]) throws(ImageEncodingError)
        -> [UInt8]
    {
        guard let mux = WebPMuxNew() else {
            throw .encoderFailed(format: .webp, detail: "libwebp could not create a muxer")
        }
        defer { WebPMuxDelete(mux) }
        let exif = try metadata.exif.map { exif throws(ImageEncodingError) in
            try EXIFRewriter.uprightWithoutThumbnail(exif)
        }
        var ok = bitstream.withUnsafeBufferPointer { buffer in
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            return WebPMuxSetImage(mux, &data, 1) == WEBP_MUX_OK
        }
        for (fourCC, payload) in [("ICCP", metadata.icc), ("EXIF", exif), ("XMP ", metadata.xmp)] {
            guard let payload else {
                continue
            }
            ok =
                ok
                && payload.withUnsafeBufferPointer { buffer in
                    var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
                    return WebPMuxSetChunk(mux, fourCC, &data, 1) == WEBP_MUX_OK
                }
        }
        var assembled = WebPData()
        guard ok, WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK else {
            throw .encoderFailed(format: .webp, detail: "libwebp could not add the metadata chunks")
        }
        defer { WebPDataClear(&assembled) }
        return Array(UnsafeBufferPointer(start: assembled.bytes, count: assembled.size))
    }
}
