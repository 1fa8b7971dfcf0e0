/// A memory-mapped GGUF file (version 2 or 3): a header, metadata key-value pairs, tensor infos,
/// then the tensor data at `general.alignment`.
///
/// `load(_:)` dequantises only the tensor asked for. Shapes are row-major, which is the reverse
/// of GGUF's fastest-varying-first dims, unless a `comfy.gguf.orig_shape.<name>` array gives the
/// shape the tensor had before a converter reshaped it.
public struct GGUFFile: WeightStore {
    struct Entry: Sendable {
        var info: TensorInfo
        var type: GGUFTensorType
        /// Byte range of the data in the file, nil for a type id whose block size is unknown.
        var range: Range<Int>?
    }

    public let origin: String
    /// The GGUF format version, 2 or 3.
    public let version: UInt32
    /// Every metadata key-value pair of the header.
    public let metadata: [String: GGUFValue]
    /// The alignment of the data section and of each tensor's data, in bytes.
    public let alignment: Int
    private let file: MappedFile
    let entries: [String: Entry]

    /// The first four bytes of every GGUF file.
    public static let magic: [UInt8] = Array("GGUF".utf8)
    /// The alignment used when `general.alignment` is absent.
    public static let defaultAlignment = 32

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let header = try file.withBytes(0..<file.count) { bytes in
            try Self.parseHeader(bytes, path: path)
        }
        self.file = file
        origin = path
        version = header.version
        metadata = header.metadata
        alignment = header.alignment
        entries = header.entries
    }

    public var tensorNames: [String] { entries.keys.sorted() }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    /// Returns the ggml type a tensor is stored as, nil when the tensor is absent.
    public func tensorType(_ name: String) -> GGUFTensorType? { entries[name]?.type }

    public func load(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name: name, file: origin) }
        guard entry.type.isSupported, let range = entry.range else {
            throw EngineError.unsupportedType(name: name, type: entry.type.name)
        }
        let count = entry.info.elementCount
        let values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try file.read(range) { bytes in
                // The type is supported, so `convert` fills all `count` elements.
                _ = Dequantize.convert(type: entry.type, from: bytes, into: buffer)
            }
            initialized = count
        }
        return Tensor(shape: entry.info.shape, storage: values)
    }
}
