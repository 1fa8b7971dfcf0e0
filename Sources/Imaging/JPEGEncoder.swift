internal import CTurboJPEG

/// Encodes JPEG files with TurboJPEG and inserts metadata segments after the JFIF header.
enum JPEGEncoder {
    /// Encodes grey layouts as single-channel JPEG and colour layouts as YCbCr, dropping alpha.
    static func encode(_ image: Image, quality: Int, metadata: ImageMetadata?) throws(ImageEncodingError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw .invalidQuality(quality)
        }
        let source = image.layout == .grayAlpha ? image.converted(to: .gray) : image
        let pixelFormat: TJPF
        let subsampling: TJSAMP
        switch source.layout {
        case .gray, .grayAlpha: (pixelFormat, subsampling) = (TJPF_GRAY, TJSAMP_GRAY)
        case .rgb: (pixelFormat, subsampling) = (TJPF_RGB, quality >= 90 ? TJSAMP_444 : TJSAMP_420)
        case .rgba: (pixelFormat, subsampling) = (TJPF_RGBX, quality >= 90 ? TJSAMP_444 : TJSAMP_420)
        }
        let jpeg = try compress(
            source.pixels,
            width: source.width,
            height: source.height,
            pixelFormat: pixelFormat,
            subsampling: subsampling,
            quality: quality
        )
        guard let metadata else {
            return jpeg
        }
        return insertSegments(try JPEGSegmentWriter.segments(for: metadata), into: jpeg)
    }

    /// Encodes CMYK samples (0 is no ink), which TurboJPEG stores as YCCK with an Adobe APP14 segment.
    static func encodeCMYK(_ samples: [UInt8], width: Int, height: Int, quality: Int) throws(ImageEncodingError)
        -> [UInt8]
    {
        try compress(
            samples,
            width: width,
            height: height,
            pixelFormat: TJPF_CMYK,
            subsampling: TJSAMP_444,
            quality: quality
        )
    }

    private static func compress(
        _ pixels: [UInt8],
        width: Int,
        height: Int,
        pixelFormat: TJPF,
        subsampling: TJSAMP,
        quality: Int
    ) throws(ImageEncodingError) -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw .encoderFailed(format: .jpeg, detail: "TurboJPEG could not create a compressor")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer { buffer in
            tjCompress2(
                handle,
                buffer.baseAddress,
                Int32(width),
                0,
                Int32(height),
                Int32(pixelFormat.rawValue),
                &output,
                &size,
                Int32(subsampling.rawValue),
                Int32(quality),
                0
            )
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
            throw .encoderFailed(format: .jpeg, detail: "TurboJPEG: \(message)")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Inserts segments after SOI, or after the JFIF APP0 segment when there is one.
    static func insertSegments(_ segments: [UInt8], into jpeg: [UInt8]) -> [UInt8] {
        var insertionPoint = 2
        if jpeg.count > 6, jpeg[2] == 0xFF, jpeg[3] == 0xE0 {
            insertionPoint = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5]))
        }
        return Array(jpeg[..<insertionPoint]) + segments + Array(jpeg[insertionPoint...])
    }
}
