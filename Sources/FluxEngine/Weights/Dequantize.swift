/// Conversion of ggml tensor data (whole blocks) to float32.
///
/// Each decoder follows ggml's `dequantize_row_*` (ggml `src/ggml-quants.c`) and performs the same
/// float32 operations in the same order as the `gguf` Python package's `dequantize_blocks` (0.19.0),
/// so the results are bit-identical to both. Swift does not contract `a * b + c` into a fused
/// multiply-add, which keeps the rounding equal to numpy's.
enum Dequantize {
    static let supportedTypeIDs: Set<UInt32> = [
        GGUFTensorType.f32, GGUFTensorType.f16, GGUFTensorType.bf16, GGUFTensorType.q8_0,
        GGUFTensorType.q4_0, GGUFTensorType.q4_1, GGUFTensorType.q5_0, GGUFTensorType.q5_1,
        GGUFTensorType.q2_K, GGUFTensorType.q3_K, GGUFTensorType.q4_K, GGUFTensorType.q5_K,
        GGUFTensorType.q6_K,
    ]

    /// Blocks per parallel chunk: about 64 KB of output, so small tensors run on one thread.
    static let elementsPerChunk = 1 << 14

    /// Decodes `output.count` elements of `type` from `source`, which must hold exactly the whole
    /// blocks of those elements. Returns false for a type outside `supportedTypeIDs`.
    static func convert(
        type: GGUFTensorType,
        from source: UnsafeRawBufferPointer,
        into output: UnsafeMutableBufferPointer<Float>
    ) -> Bool {
        guard let decode = decoder(for: type.id), let blockSize = type.blockSize, let blockBytes = type.blockBytes
        else { return false }
        guard let input = source.baseAddress, let destination = output.baseAddress else { return true }
        let blocks = output.count / blockSize
        precondition(blocks * blockBytes == source.count, "dequantize: byte count does not match the element count")

        parallelChunks(blocks, minimumChunk: max(1, elementsPerChunk / blockSize)) { range in
            decode(input + range.lowerBound * blockBytes, destination + range.lowerBound * blockSize, range.count)
        }
        return true
    }

    /// A decoder of `count` consecutive blocks from the first pointer into the second.
    typealias BlockDecoder = (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void

    static func decoder(for id: UInt32) -> BlockDecoder? {
        switch id {
        case GGUFTensorType.f32: return decodeF32
        case GGUFTensorType.f16: return decodeF16
        case GGUFTensorType.bf16: return decodeBF16
        case GGUFTensorType.q8_0: return decodeQ8_0
        case GGUFTensorType.q4_0: return decodeQ4_0
        case GGUFTensorType.q4_1: return decodeQ4_1
        case GGUFTensorType.q5_0: return decodeQ5_0
        case GGUFTensorType.q5_1: return decodeQ5_1
        case GGUFTensorType.q2_K: return decodeQ2_K
        case GGUFTensorType.q3_K: return decodeQ3_K
        case GGUFTensorType.q4_K: return decodeQ4_K
        case GGUFTensorType.q5_K: return decodeQ5_K
        case GGUFTensorType.q6_K: return decodeQ6_K
        default: return nil
        }
    }

    /// Reads the IEEE half at `offset` and widens it to float32, which is exact.
    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    static func decodeF32(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for index in 0..<count {
            output[index] = Float(
                bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            )
        }
    }

    static func decodeF16(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for index in 0..<count { output[index] = half(source, index * 2) }
    }

    static func decodeBF16(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for index in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            output[index] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// Q8_0: d (fp16), then 32 int8 quants. y = q·d.
    static func decodeQ8_0(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 34
            let y = output + block * 32
            let d = half(base, 0)
            let quants = (base + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { y[j] = Float(quants[j]) * d }
        }
    }

    /// Q4_0: d, then 16 bytes whose low nibbles are elements 0–15 and high nibbles 16–31.
    /// y = d·(q − 8).
    static func decodeQ4_0(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 18
            let y = output + block * 32
            let d = half(base, 0)
            let quants = (base + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(Int32(quants[j] & 0x0F) - 8)
                y[j + 16] = d * Float(Int32(quants[j] >> 4) - 8)
            }
        }
    }

    /// Q4_1: d, m, then nibbles ordered as Q4_0. y = d·q + m.
    static func decodeQ4_1(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 20
            let y = output + block * 32
            let d = half(base, 0)
            let m = half(base, 2)
            let quants = (base + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(quants[j] & 0x0F) + m
                y[j + 16] = d * Float(quants[j] >> 4) + m
            }
        }
    }

    /// Q5_0: d, a 32-bit word whose bit j is the fifth bit of element j, then Q4_0 nibbles.
    /// y = d·(q − 16).
    static func decodeQ5_0(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 22
            let y = output + block * 32
            let d = half(base, 0)
            let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let quants = (base + 6).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let low = Int32(quants[j] & 0x0F) | Int32((high >> UInt32(j)) & 1) << 4
                let upper = Int32(quants[j] >> 4) | Int32((high >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(low - 16)
                y[j + 16] = d * Float(upper - 16)
            }
        }
    }

    /// Q5_1: d, m, the fifth-bit word, then Q4_0 nibbles. y = d·q + m.
    static func decodeQ5_1(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 24
            let y = output + block * 32
            let d = half(base, 0)
            let m = half(base, 2)
            let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let quants = (base + 8).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let low = UInt32(quants[j] & 0x0F) | ((high >> UInt32(j)) & 1) << 4
                let upper = UInt32(quants[j] >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(low) + m
                y[j + 16] = d * Float(upper) + m
            }
        }
    }
}
