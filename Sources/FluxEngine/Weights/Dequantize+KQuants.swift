/// Decoders of the 256-element k-quant super-blocks (ggml `block_q2_K` … `block_q6_K`).
extension Dequantize {
    /// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
    ///
    /// Group g of 16 elements takes 2-bit fields at shift 2·((g mod 8) / 2) from the 16 bytes at
    /// qs[32·(g / 8) + 16·(g mod 2)]. y = d·scale·q − dmin·min.
    static func decodeQ2_K(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 84
            let y = output + block * 256
            let scales = base.assumingMemoryBound(to: UInt8.self)
            let quants = scales + 16
            let d = half(base, 80)
            let dmin = half(base, 82)
            for group in 0..<16 {
                let scale = d * Float(scales[group] & 0x0F)
                let minimum = dmin * Float(scales[group] >> 4)
                let bytes = quants + (group / 8) * 32 + (group % 2) * 16
                let shift = UInt8(2 * ((group % 8) / 2))
                let out = y + group * 16
                for l in 0..<16 { out[l] = scale * Float((bytes[l] >> shift) & 3) - minimum }
            }
        }
    }

    /// Q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit values), d.
    ///
    /// The 2-bit fields are ordered as in Q2_K, and 4 is subtracted when bit g/2 of the matching
    /// hmask byte is clear. y = d·(scale − 32)·q.
    static func decodeQ3_K(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 110
            let y = output + block * 256
            let highMask = base.assumingMemoryBound(to: UInt8.self)
            let quants = highMask + 32
            let packedScales = quants + 64
            let d = half(base, 108)
            for group in 0..<16 {
                let low = group < 8 ? packedScales[group] & 0x0F : packedScales[group - 8] >> 4
                let high = (packedScales[8 + group % 4] >> UInt8(2 * (group / 4))) & 3
                let scale = d * Float(Int32(low | high << 4) - 32)
                let offset = (group % 2) * 16
                let bytes = quants + (group / 8) * 32 + offset
                let shift = UInt8(2 * ((group % 8) / 2))
                let bit = UInt8(group / 2)
                let out = y + group * 16
                for l in 0..<16 {
                    let q = Int32((bytes[l] >> shift) & 3) - ((highMask[offset + l] >> bit) & 1 == 0 ? 4 : 0)
                    out[l] = scale * Float(q)
                }
            }
        }
    }

    /// Unpacks the eight 6-bit scales and mins of Q4_K and Q5_K (ggml `get_scale_min_k4`).
    @inline(__always)
    static func scaleAndMin(_ packed: UnsafePointer<UInt8>, _ group: Int) -> (scale: UInt8, min: UInt8) {
        if group < 4 { return (packed[group] & 0x3F, packed[group + 4] & 0x3F) }
        let scale = (packed[group + 4] & 0x0F) | ((packed[group - 4] >> 2) & 0x30)
        let minimum = (packed[group + 4] >> 4) | ((packed[group] >> 2) & 0x30)
        return (scale, minimum)
    }

    /// Q4_K: d, dmin, scales[12], qs[128]. Group g of 32 takes the low (even g) or high (odd g)
    /// nibbles of qs[32·(g / 2) ..< 32·(g / 2) + 32]. y = d·scale·q − dmin·min.
    static func decodeQ4_K(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 144
            let y = output + block * 256
            let d = half(base, 0)
            let dmin = half(base, 2)
            let packedScales = (base + 4).assumingMemoryBound(to: UInt8.self)
            let quants = packedScales + 12
            for group in 0..<8 {
                let (rawScale, rawMin) = scaleAndMin(packedScales, group)
                let scale = d * Float(rawScale)
                let minimum = dmin * Float(rawMin)
                let bytes = quants + (group / 2) * 32
                let shift = UInt8(4 * (group % 2))
                let out = y + group * 32
                for l in 0..<32 { out[l] = scale * Float((bytes[l] >> shift) & 0x0F) - minimum }
            }
        }
    }

    /// Q5_K: d, dmin, scales[12], qh[32], qs[128]. As Q4_K, plus bit g of qh[l] as the fifth bit.
    static func decodeQ5_K(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 176
            let y = output + block * 256
            let d = half(base, 0)
            let dmin = half(base, 2)
            let packedScales = (base + 4).assumingMemoryBound(to: UInt8.self)
            let highBits = packedScales + 12
            let quants = highBits + 32
            for group in 0..<8 {
                let (rawScale, rawMin) = scaleAndMin(packedScales, group)
                let scale = d * Float(rawScale)
                let minimum = dmin * Float(rawMin)
                let bytes = quants + (group / 2) * 32
                let shift = UInt8(4 * (group % 2))
                let bit = UInt8(group)
                let out = y + group * 32
                for l in 0..<32 {
                    let q = ((bytes[l] >> shift) & 0x0F) | ((highBits[l] >> bit) & 1) << 4
                    out[l] = scale * Float(q) - minimum
                }
            }
        }
    }

    /// Q6_K: ql[128], qh[64], scales[16] (int8), d.
    ///
    /// In each half of 128, element 32·s + l (s = 0…3) takes the low nibble (s < 2) or high
    /// nibble (s ≥ 2) of ql[64·half + 32·(s mod 2) + l] and bits 2s…2s+1 of qh[32·half + l].
    /// y = d·scale·(q − 32), with the scale of its group of 16.
    static func decodeQ6_K(_ source: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>, _ count: Int) {
        for block in 0..<count {
            let base = source + block * 210
            let y = output + block * 256
            let low = base.assumingMemoryBound(to: UInt8.self)
            let high = low + 128
            let scales = (base + 192).assumingMemoryBound(to: Int8.self)
            let d = half(base, 208)
            for part in 0..<2 {
                for s in 0..<4 {
                    let lowBytes = low + part * 64 + (s % 2) * 32
                    let highBytes = high + part * 32
                    let lowShift = UInt8(4 * (s / 2))
                    let highShift = UInt8(2 * s)
                    let out = y + part * 128 + s * 32
                    let firstGroup = part * 8 + s * 2
                    for half in 0..<2 {
                        let scale = d * Float(scales[firstGroup + half])
                        for l in (half * 16)..<(half * 16 + 16) {
                            let q = (lowBytes[l] >> lowShift) & 0x0F | ((highBytes[l] >> highShift) & 3) << 4
                            out[l] = scale * Float(Int32(q) - 32)
                        }
                    }
                }
            }
        }
    }
}
