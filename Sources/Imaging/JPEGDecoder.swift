internal import CTurboJPEG

/// Decodes JPEG files with TurboJPEG, after a marker walk that collects metadata and detects truncation.
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageDecodingError) -> RawDecodedImage {
        let scan = JPEGMarkerScan(bytes)
        guard let frame = scan.frameSize else {
            if scan.hasEndOfImage {
                throw .corrupt(format: .jpeg, detail: "no SOF frame header before the EOI marker")
            }
            throw .truncated(format: .jpeg, detail: "the file ends before the frame header, at byte \(bytes.count)")
        }
        try limits.check(width: frame.width, height: frame.height, format: .jpeg)
        // TurboJPEG fills the missing rows of a truncated file with grey and only warns, so reject it here.
        guard scan.hasEndOfImage else {
            throw .truncated(format: .jpeg, detail: "no EOI marker in \(bytes.count) bytes")
        }

        var metadata = ImageMetadata(exif: scan.exif, icc: scan.iccProfile, xmp: scan.xmp)
        var warnings: [String] = []
        if scan.iccChunkCount > 0 && metadata.icc == nil {
            warnings.append(
                "The ICC profile is missing some of its \(scan.iccChunkCount) APP2 chunks, so it was ignored."
            )
        }
        let decoded = try TurboJPEGDecompressor.decompress(bytes)
        warnings += decoded.warnings

        var image = decoded.image
        if let cmyk = decoded.cmyk {
            // Adobe APP14 means Photoshop's convention of inverted CMYK (0 is full ink).
            let inverted = scan.adobeTransform != nil
            let conversion = ColorManagement.convertCMYKToSRGB(cmyk, inverted: inverted, profile: metadata.icc)
            image = conversion.image
            warnings += conversion.warnings
            metadata.icc = nil
        }
        return RawDecodedImage(image: image, metadata: metadata, warnings: warnings)
    }
}

/// CMYK samples as TurboJPEG returns them, before conversion to RGB.
struct CMYKPixels {
    var width: Int
    var height: Int
    var samples: [UInt8]
}

/// Owns a TurboJPEG decompressor handle.
struct TurboJPEGDecompressor: ~Copyable {
    let handle: tjhandle

    init() throws(ImageDecodingError) {
        guard let handle = tjInitDecompress() else {
            throw .corrupt(format: .jpeg, detail: "TurboJPEG could not create a decompressor")
        }
        self.handle = handle
    }

    deinit {
        tjDestroy(handle)
    }

    /// Decodes grey files to `.gray`, CMYK and YCCK files to `cmyk`, and all others to `.rgb`.
    static func decompress(_ bytes: [UInt8]) throws(ImageDecodingError) -> (
        image: Image, cmyk: CMYKPixels?, warnings: [String]
    ) {
        let decompressor = try TurboJPEGDecompressor()
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(
                decompressor.handle,
                buffer.baseAddress,
                UInt(buffer.count),
                &width,
                &height,
                &subsampling,
                &colorspace
            )
        }
        guard headerStatus == 0 else {
            throw decompressor.headerError()
        }

        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let isGray = colorspace == Int32(TJCS_GRAY.rawValue)
        let (pixelFormat, channels): (TJPF, Int) = isCMYK ? (TJPF_CMYK, 4) : isGray ? (TJPF_GRAY, 1) : (TJPF_RGB, 3)
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let status = bytes.withUnsafeBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { output in
                tjDecompress2(
                    decompressor.handle,
                    buffer.baseAddress,
                    UInt(buffer.count),
                    output.baseAddress,
                    width,
                    0,
                    height,
                    Int32(pixelFormat.rawValue),
                    0
                )
            }
        }
        let warnings = try decompressor.checkDecompressStatus(status)

        let (w, h) = (Int(width), Int(height))
        if isCMYK {
            let placeholder = Image(width: w, height: h, layout: .gray)
            return (placeholder, CMYKPixels(width: w, height: h, samples: pixels), warnings)
        }
        return (Image(width: w, height: h, layout: isGray ? .gray : .rgb, pixels: pixels), nil, warnings)
    }

    /// Turns a failed tjDecompress2 into an error, or into warnings when libjpeg only warned.
    private func checkDecompressStatus(_ status: Int32) throws(ImageDecodingError) -> [String] {
        guard status != 0 else {
            return []
        }
        let message = errorMessage
        guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
            throw .corrupt(format: .jpeg, detail: "TurboJPEG: \(message)")
        }
        // libjpeg reports "Premature end of JPEG file" at the end of the data and "premature end of data
        // segment" when a marker interrupts a scan. Both mean missing rows that it filled with grey.
        if message.lowercased().contains("premature end") {
            throw .truncated(format: .jpeg, detail: "TurboJPEG: \(message)")
        }
        return ["The JPEG decoder warned '\(message)'; the image may contain damaged blocks."]
    }

    /// Sorts a tjDecompressHeader3 failure: libjpeg words unsupported variants (12-bit samples,
    /// lossless JPEG) as "Unsupported ...", and everything else is corrupt data.
    func headerError() -> ImageDecodingError {
        let message = errorMessage
        if message.contains("Unsupported") {
            return .unsupportedFeature(format: .jpeg, detail: "TurboJPEG: \(message)")
        }
        return .corrupt(format: .jpeg, detail: "TurboJPEG: \(message)")
    }

    var errorMessage: String {
        guard let message = tjGetErrorStr2(handle) else {
            return "unknown error"
        }
        return String(cString: message)
    }
}
