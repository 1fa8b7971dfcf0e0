internal import CLCMS2

/// Owns an lcms2 profile handle.
struct ICCProfile: ~Copyable {
    let handle: cmsHPROFILE

    init?(_ bytes: [UInt8]) {
        let opened = bytes.withUnsafeBytes { buffer in
            cmsOpenProfileFromMem(buffer.baseAddress, UInt32(buffer.count))
        }
        guard let opened else {
            return nil
        }
        handle = opened
    }

    init(handle: cmsHPROFILE) {
        self.handle = handle
    }

    deinit {
        cmsCloseProfile(handle)
    }

    /// The English profile description, or "unnamed" when the profile has none.
    var description: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = cmsGetProfileInfoASCII(handle, cmsInfoDescription, "en", "US", &buffer, UInt32(buffer.count))
        guard length > 1 else {
            return "unnamed"
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func makeSRGB() -> ICCProfile? {
        cmsCreate_sRGBProfile().map { ICCProfile(handle: $0) }
    }

    /// Creates a grey profile with the D50 white point and the sRGB tone curve.
    static func makeSRGBGray() -> ICCProfile? {
        var parameters: [Double] = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]
        guard let curve = cmsBuildParametricToneCurve(nil, 4, &parameters) else {
            return nil
        }
        defer { cmsFreeToneCurve(curve) }
        return cmsCreateGrayProfile(cmsD50_xyY(), curve).map { ICCProfile(handle: $0) }
    }

    /// Serialises the profile, or returns nil when lcms2 fails.
    func serialized() -> [UInt8]? {
        var size: UInt32 = 0
        guard cmsSaveProfileToMem(handle, nil, &size) != 0, size > 0 else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        guard cmsSaveProfileToMem(handle, &bytes, &size) != 0 else {
            return nil
        }
        return bytes
    }
}

extension ColorManagement {
    /// Chromaticities (x, y) of an RGB colour space's white point and red, green and blue primaries.
    struct RGBColorSpace {
        var white: (Double, Double)
        var red: (Double, Double)
        var green: (Double, Double)
        var blue: (Double, Double)

        /// Display P3: DCI-P3 primaries with the D65 white point.
        static let displayP3 = RGBColorSpace(
            white: (0.3127, 0.3290),
            red: (0.680, 0.320),
            green: (0.265, 0.690),
            blue: (0.150, 0.060)
        )
        /// Adobe RGB (1998) with the D65 white point.
        static let adobeRGB = RGBColorSpace(
            white: (0.3127, 0.3290),
            red: (0.640, 0.330),
            green: (0.210, 0.710),
            blue: (0.150, 0.060)
        )
    }

    /// Builds a matrix-shaper ICC profile with the sRGB tone curve (`gamma` nil) or a pure power curve.
    static func makeRGBProfile(_ space: RGBColorSpace, gamma: Double?) -> [UInt8]? {
        let curve: OpaquePointer?
        if let gamma {
            curve = cmsBuildGamma(nil, gamma)
        } else {
            var parameters: [Double] = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]
            curve = cmsBuildParametricToneCurve(nil, 4, &parameters)
        }
        guard let curve else {
            return nil
        }
        defer { cmsFreeToneCurve(curve) }
        var white = cmsCIExyY(x: space.white.0, y: space.white.1, Y: 1)
        var primaries = cmsCIExyYTRIPLE(
            Red: cmsCIExyY(x: space.red.0, y: space.red.1, Y: 1),
            Green: cmsCIExyY(x: space.green.0, y: space.green.1, Y: 1),
            Blue: cmsCIExyY(x: space.blue.0, y: space.blue.1, Y: 1)
        )
        var curves: [OpaquePointer?] = [curve, curve, curve]
        guard let handle = cmsCreateRGBProfile(&white, &primaries, &curves) else {
            return nil
        }
        return ICCProfile(handle: handle).serialized()
    }

    /// Serialises lcms2's built-in sRGB profile, for embedding in outputs.
    static func makeSRGBProfile() -> [UInt8]? {
        ICCProfile.makeSRGB()?.serialized()
    }
}
