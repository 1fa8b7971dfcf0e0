internal import CLCMS2

/// Converts embedded ICC colour to sRGB with lcms2 (perceptual intent).
enum ColorManagement {
    /// The result of converting pixels towards sRGB.
    struct Conversion {
        var image: Image
        /// True when the profile still describes the returned pixels, which happens only for sRGB profiles.
        var keepsProfile: Bool
        var warnings: [String] = []

        /// Returns the pixels unchanged and drops the profile, with a warning that gives the reason.
        static func ignoringProfile(_ image: Image, because warning: String) -> Conversion {
            Conversion(image: image, keepsProfile: false, warnings: [warning])
        }
    }

    /// lcms2 pixel formats. Swift cannot import the TYPE_* macros, so they are rebuilt from
    /// COLORSPACE_SH(s) = s << 16, EXTRA_SH(e) = e << 7, CHANNELS_SH(c) = c << 3 and BYTES_SH(1) = 1.
    static let rgb8 = UInt32(PT_RGB) << 16 | 3 << 3 | 1
    static let rgba8 = rgb8 | 1 << 7
    static let gray8 = UInt32(PT_GRAY) << 16 | 1 << 3 | 1
    static let grayAlpha8 = gray8 | 1 << 7
    static let cmyk8 = UInt32(PT_CMYK) << 16 | 4 << 3 | 1
    /// FLAVOR_SH(1) marks inverted samples, as in Adobe CMYK JPEGs where 0 is full ink.
    static let cmyk8Inverted = cmyk8 | 1 << 13

    /// Converts `image` from the colour space of `profile` to sRGB, unless the profile is an sRGB profile.
    ///
    /// A profile counts as sRGB when its description contains "sRGB", and then the pixels stay unchanged.
    /// Profiles that cannot be read or do not match the image's channels are ignored with a warning.
    static func convertToSRGB(_ image: Image, profile bytes: [UInt8]) -> Conversion {
        guard let profile = ICCProfile(bytes) else {
            return .ignoringProfile(
                image,
                because: "The embedded ICC profile could not be read, so the colours were treated as sRGB."
            )
        }
        let name = profile.description
        let isGray = image.layout == .gray || image.layout == .grayAlpha
        guard cmsGetColorSpace(profile.handle) == (isGray ? cmsSigGrayData : cmsSigRgbData) else {
            let channels = isGray ? "grey" : "RGB"
            return .ignoringProfile(
                image,
                because: "The embedded ICC profile '\(name)' does not match the image's \(channels) channels, "
                    + "so it was ignored."
            )
        }
        // NOTE: The description is the only sRGB test, so a non-sRGB profile named "sRGB ..." stays unconverted.
        if name.contains("sRGB") {
            return Conversion(image: image, keepsProfile: true)
        }

        let output = isGray ? ICCProfile.makeSRGBGray() : ICCProfile.makeSRGB()
        let format = pixelFormat(of: image.layout)
        let pixelCount = image.width * image.height
        guard let output,
            let pixels = transform(image.pixels, pixelCount: pixelCount, from: profile, format, to: output, format)
        else {
            return .ignoringProfile(
                image,
                because: "lcms2 could not convert from the ICC profile '\(name)', so the colours were kept."
            )
        }
        let converted = Image(width: image.width, height: image.height, layout: image.layout, pixels: pixels)
        let warning = "Converted the colours from the ICC profile '\(name)' to sRGB."
        return Conversion(image: converted, keepsProfile: false, warnings: [warning])
    }

    /// Converts CMYK samples to sRGB: through `profile` when it is a CMYK profile, otherwise with the
    /// naive formula R = (255 - C)(255 - K) / 255, which ignores how inks behave on paper.
    static func convertCMYKToSRGB(
        _ cmyk: CMYKPixels,
        inverted: Bool,
        profile bytes: [UInt8]?
    ) -> (image: Image, warnings: [String]) {
        // NOTE: No test covers this branch, because the fixtures contain no CMYK ICC profile.
        if let bytes, let profile = ICCProfile(bytes), cmsGetColorSpace(profile.handle) == cmsSigCmykData,
            let output = ICCProfile.makeSRGB()
        {
            let format = inverted ? cmyk8Inverted : cmyk8
            let pixelCount = cmyk.width * cmyk.height
            if let pixels = transform(cmyk.samples, pixelCount: pixelCount, from: profile, format, to: output, rgb8) {
                let image = Image(width: cmyk.width, height: cmyk.height, layout: .rgb, pixels: pixels)
                return (image, ["Converted the CMYK colours with the ICC profile '\(profile.description)' to sRGB."])
            }
        }
        let warning =
            bytes == nil
            ? "Converted CMYK to sRGB without an ICC profile, so colours are approximate."
            : "Converted CMYK to sRGB without a usable CMYK ICC profile, so colours are approximate."
        return (naiveCMYKToRGB(cmyk, inverted: inverted), [warning])
    }

    private static func pixelFormat(of layout: PixelLayout) -> UInt32 {
        switch layout {
        case .gray: gray8
        case .grayAlpha: grayAlpha8
        case .rgb: rgb8
        case .rgba: rgba8
        }
    }

    private static func naiveCMYKToRGB(_ cmyk: CMYKPixels, inverted: Bool) -> Image {
        let pixelCount = cmyk.width * cmyk.height
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        cmyk.samples.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { destination in
                for index in 0..<pixelCount {
                    // Ink-free amount per channel: 255 means no ink.
                    let paper = { (channel: Int) -> Int in
                        let sample = Int(source[index * 4 + channel])
                        return inverted ? sample : 255 - sample
                    }
                    let black = paper(3)
                    for channel in 0..<3 {
                        destination[index * 3 + channel] = UInt8((paper(channel) * black + 127) / 255)
                    }
                }
            }
        }
        return Image(width: cmyk.width, height: cmyk.height, layout: .rgb, pixels: rgb)
    }

    /// Runs an lcms2 transform with perceptual intent and copies alpha channels unchanged.
    private static func transform(
        _ input: [UInt8],
        pixelCount: Int,
        from source: borrowing ICCProfile,
        _ inputFormat: UInt32,
        to destination: borrowing ICCProfile,
        _ outputFormat: UInt32
    ) -> [UInt8]? {
        let flags = UInt32(cmsFLAGS_COPY_ALPHA)
        let intent = UInt32(INTENT_PERCEPTUAL)
        guard
            let transform = cmsCreateTransform(
                source.handle,
                inputFormat,
                destination.handle,
                outputFormat,
                intent,
                flags
            )
        else {
            return nil
        }
        defer { cmsDeleteTransform(transform) }

        // CHANNELS_SH and EXTRA_SH give the sample count per pixel.
        let outputChannels = Int((outputFormat >> 3) & 0xF + (outputFormat >> 7) & 0x7)
        var output = [UInt8](repeating: 0, count: pixelCount * outputChannels)
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                cmsDoTransform(transform, source.baseAddress, destination.baseAddress, UInt32(pixelCount))
            }
        }
        return output
    }
}
