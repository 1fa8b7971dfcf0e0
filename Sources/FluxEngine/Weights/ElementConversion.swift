/// Conversions from stored element types to float32, shared by the safetensors and GGUF readers.
enum ElementConversion {
    /// IEEE half precision, little-endian.
    static func half(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// bfloat16: the upper half of a float32.
    static func brain(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// float8 E4M3 "fn" (PyTorch `float8_e4m3fn`): bias 7, no infinities, 0x7F and 0xFF are NaN.
    static func e4m3(_ byte: UInt8) -> Float {
        let sign: Float = byte & 0x80 == 0 ? 1 : -1
        let exponent = Int((byte >> 3) & 0x0F)
        let mantissa = Float(byte & 0x07)
        if exponent == 0x0F && byte & 0x07 == 0x07 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * 0x1p-6 }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// float8 E5M2 (PyTorch `float8_e5m2`): the upper byte of an IEEE half.
    static func e5m2(_ byte: UInt8) -> Float {
        half(UInt16(byte) << 8)
    }

    /// Converts `count` elements of `type` starting at `bytes` into `output`; false for an unknown type.
    static func convert(
        type: String,
        bytes: UnsafeRawBufferPointer,
        into output: UnsafeMutableBufferPointer<Float>
    ) -> Bool {
        let count = output.count
        switch type {
        case "F32":
            for index in 0..<count { output[index] = bytes.loadUnaligned(fromByteOffset: index * 4, as: Float.self) }
        case "F64":
            for index in 0..<count {
                output[index] = Float(bytes.loadUnaligned(fromByteOffset: index * 8, as: Double.self))
            }
        case "F16":
            for index in 0..<count { output[index] = half(bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) }
        case "BF16":
            for index in 0..<count { output[index] = brain(bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) }
        case "F8_E4M3":
            for index in 0..<count { output[index] = e4m3(bytes[index]) }
        case "F8_E5M2":
            for index in 0..<count { output[index] = e5m2(bytes[index]) }
        default:
            return false
        }
        return true
    }

    /// Bytes per element of the types `convert` reads, nil for others.
    static func byteWidth(of type: String) -> Int? {
        switch type {
        case "F64": return 8
        case "F32": return 4
        case "F16", "BF16": return 2
        case "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }
}
