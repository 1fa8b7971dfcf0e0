internal import CLCMS2

/// Converts embedded ICC colour to sRGB with lcms2 (perceptual intent).
enum ColorManagement {
    /// The result of converting pixels towards sRGB.
    struct Conversion {
        var image: Image
        /// True when the profile still describes the returned pixels, which happens only for sRGB profiles.
        var keepsProfile: Bool
        var warnings: [String] = []
    }

    /// lcms2 pixel formats; the TYPE_* macros are not importable into Swift, so they are rebuilt from
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
    /// A profile counts as sRGB when its description contains "sRGB"; such pixels are left unchanged.
    /// Profiles that cannot be read or do not match the image's channels are ignored with a warning.
    static func convertToSRGB(_ image: Image, profile bytes: [UInt8]) -> Conversion {
        guard let profile = ICCProfile(bytes) else {
            return Conversion(image: image, keepsProfile: false, warnings: ["The embedded ICC profile could not be read, so the colours were treated as sRGB."])
        }
        let isGray = image.layout == .gray || image.layout == .grayAlpha
        let expectedSpace = isGray ? cmsSigGrayData : cmsSigRgbData
        guard cmsGetColorSpace(profile.handle) == expectedSpace else {
            let warning = "The embedded ICC profile '\(profile.description)' does not match the image's \(isGray ? "grey" : "RGB") channels, so it was ignored."
            return Conversion(image: image, keepsProfile: false, warnings: [warning])
        }
        if profile.description.contains("sRGB") {
            return Conversion(image: image, keepsProfile: true)
        }
        guard let output = isGray ? ICCProfile.makeSRGBGray() : ICCProfile.makeSRGB() else {
            return Conversion(image: image, keepsProfile: false, warnings: ["lcms2 could not create the sRGB profile, so the colours were not converted."])
        }
        let format: UInt32
        switch image.layout {
        case .gray: format = gray8
        case .grayAlpha: format = grayAlpha8
        case .rgb: format = rgb8
        case .rgba: format = rgba8
        }
        guard let pixels = transform(image.pixels, pixelCount: image.width * image.height, from: profile, format: format, to: output, format: format) else {
            return Conversion(image: image, keepsProfile: false, warnings: ["lcms2 could not convert from the ICC profile '\(profile.description)', so the colours were treated as sRGB."])
        }
        let converted = Image(width: image.width, height: image.height, layout: image.layout, pixels: pixels)
        return Conversion(image: converted, keepsProfile: false, warnings: ["Converted the colours from the ICC profile '\(profile.description)' to sRGB."])
    }

    /// Converts CMYK samples to sRGB: through `profile` when it is a CMYK profile, otherwise with the
    /// naive formula R = (255 - C)(255 - K) / 255, which ignores ink behaviour.
    static func convertCMYKToSRGB(_ cmyk: CMYKPixels, inverted: Bool, profile bytes: [UInt8]?) -> (image: Image, warnings: [String]) {
        let pixelCount = cmyk.width * cmyk.height
        if let bytes, let profile = ICCProfile(bytes), cmsGetColorSpace(profile.handle) == cmsSigCmykData, let output = ICCProfile.makeSRGB() {
            let format = inverted ? cmyk8Inverted : cmyk8
            if let pixels = transform(cmyk.samples, pixelCount: pixelCount, from: profile, format: format, to: output, format: rgb8) {
                let image = Image(width: cmyk.width, height: cmyk.height, layout: .rgb, pixels: pixels)
                return (image, ["Converted the CMYK colours with the ICC profile '\(profile.description)' to sRGB."])
            }
        }
        var warnings = ["Converted CMYK to sRGB without a usable CMYK ICC profile, so colours are approximate."]
        if bytes == nil {
            warnings = ["Converted CMYK to sRGB without an ICC profile, so colours are approximate."]
        }
        return (naiveCMYKToRGB(cmyk, inverted: inverted), warnings)
    }

    private static func naiveCMYKToRGB(_ cmyk: CMYKPixels, inverted: Bool) -> Image {
        let pixelCount = cmyk.width * cmyk.height
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        cmyk.samples.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { destination in
                for index in 0..<pixelCount {
                    // Ink-free amounts: 255 means no ink of that colour.
                    var paper = (0..<4).map { Int(source[index * 4 + $0]) }
                    if !inverted {
                        paper = paper.map { 255 - $0 }
                    }
                    for channel in 0..<3 {
                        destination[index * 3 + channel] = UInt8((paper[channel] * paper[3] + 127) / 255)
                    }
                }
            }
        }
        return Image(width: cmyk.width, height: cmyk.height, layout: .rgb, pixels: rgb)
    }

    private static func transform(
        _ input: [UInt8], pixelCount: Int, from source: borrowing ICCProfile, format inputFormat: UInt32,
        to destination: borrowing ICCProfile, format outputFormat: UInt32
    ) -> [UInt8]? {
        let flags = UInt32(cmsFLAGS_COPY_ALPHA)
        guard let transform = cmsCreateTransform(source.handle, inputFormat, destination.handle, outputFormat, UInt32(INTENT_PERCEPTUAL), flags) else {
            return nil
        }
        defer { cmsDeleteTransform(transform) }
        let outputChannels = outputFormat == rgb8 ? 3 : outputFormat == rgba8 ? 4 : outputFormat == gray8 ? 1 : 2
        var output = [UInt8](repeating: 0, count: pixelCount * outputChannels)
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                cmsDoTransform(transform, source.baseAddress, destination.baseAddress, UInt32(pixelCount))
            }
        }
        return output
    }
}
