/// A ggml tensor type id with its name and block geometry, as listed in ggml's `ggml.h` and in
/// the `gguf` Python package's `GGML_QUANT_SIZES` (version 0.19.0).
public struct GGUFTensorType: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt32
    /// The ggml name (`Q4_K`, `BF16`, ...), or `type <id>` for an id ggml does not define.
    public let name: String
    /// Elements per block, nil for an unknown id.
    public let blockSize: Int?
    /// Bytes per block, nil for an unknown id.
    public let blockBytes: Int?

    public init(id: UInt32) {
        self.id = id
        if let known = Self.table[id] {
            name = known.name
            blockSize = known.size
            blockBytes = known.bytes
        } else {
            name = "type \(id)"
            blockSize = nil
            blockBytes = nil
        }
    }

    public var description: String { name }

    /// Whether `Dequantize` can convert this type to float32.
    public var isSupported: Bool { Dequantize.supportedTypeIDs.contains(id) }

    /// Bytes of one row of `elements` values, nil when the type is unknown or the row does not
    /// fill whole blocks.
    func rowBytes(elements: Int) -> Int? {
        guard let blockSize, let blockBytes, elements % blockSize == 0 else { return nil }
        return elements / blockSize * blockBytes
    }

    static let f32: UInt32 = 0
    static let f16: UInt32 = 1
    static let q4_0: UInt32 = 2
    static let q4_1: UInt32 = 3
    static let q5_0: UInt32 = 6
    static let q5_1: UInt32 = 7
    static let q8_0: UInt32 = 8
    static let q2_K: UInt32 = 10
    static let q3_K: UInt32 = 11
    static let q4_K: UInt32 = 12
    static let q5_K: UInt32 = 13
    static let q6_K: UInt32 = 14
    static let bf16: UInt32 = 30

    private static let table: [UInt32: (name: String, size: Int, bytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
        30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
    ]
}
