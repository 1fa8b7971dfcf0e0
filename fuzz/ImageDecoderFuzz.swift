// libFuzzer entry point for the image decoders. scripts/fuzz compiles it together with the sources of
// the Imaging module, so a crash or an AddressSanitizer report in PNG, JPEG, WebP or HEIF decoding,
// EXIF or ICC handling stops the run with the input that caused it.

/// Decodes the input with a 4-megapixel limit, so inputs that declare large sizes are rejected from
/// their header instead of spending the run on allocations.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? ImageDecoder.decode(bytes, limits: DecodeLimits(maxMegapixels: 4))
    return 0
}
