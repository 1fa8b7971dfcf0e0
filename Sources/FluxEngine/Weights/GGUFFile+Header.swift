/// Parsing and validation of the GGUF header (ggml `docs/gguf.md`).
extension GGUFFile {
    struct Header {
        var version: UInt32
        var metadata: [String: GGUFValue]
        var alignment: Int
        var entries: [String: Entry]
    }

    /// A tensor info as stored, before its offset is resolved against the data section.
    struct RawTensor {
        var name: String
        /// GGUF dims, fastest-varying first.
        var dims: [Int]
        var type: GGUFTensorType
        var offset: UInt64
    }

    /// ggml's `GGML_MAX_DIMS`.
    static let maximumDimensions = 4
    /// Metadata key prefix of the row-major shape ComfyUI-GGUF records for reshaped tensors.
    static let originalShapePrefix = "comfy.gguf.orig_shape."

    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        var reader = GGUFReader(bytes: bytes, path: path)
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else {
            throw reader.failure("it does not start with the GGUF magic bytes")
        }
        reader.skip(to: 4)
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw reader.failure("GGUF version \(version) is not supported, expected version 2 or 3")
        }
        // A tensor info takes at least 24 bytes and a metadata pair at least 13.
        let tensorCount = try reader.count("the tensor count", minimumItemBytes: 24)
        let metadataCount = try reader.count("the metadata count", minimumItemBytes: 13)

        let metadata = try readMetadata(&reader, count: metadataCount)
        let alignment = try alignment(from: metadata, reader: reader)
        var rawTensors: [RawTensor] = []
        for index in 0..<tensorCount {
            rawTensors.append(try readTensorInfo(&reader, index: index))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        var entries: [String: Entry] = [:]
        for raw in rawTensors {
            guard entries[raw.name] == nil else { throw reader.failure("tensor '\(raw.name)' appears twice") }
            entries[raw.name] = try entry(
                raw,
                metadata: metadata,
                dataStart: dataStart,
                alignment: alignment,
                reader: reader
            )
        }
        return Header(version: version, metadata: metadata, alignment: alignment, entries: entries)
    }

    private static func readMetadata(_ reader: inout GGUFReader, count: Int) throws -> [String: GGUFValue] {
        var metadata: [String: GGUFValue] = [:]
        for index in 0..<count {
            let key = try reader.string("metadata key \(index)")
            let type = try reader.read(UInt32.self, "the value type of metadata key '\(key)'")
            metadata[key] = try reader.value(type: type, key: key)
        }
        return metadata
    }

    private static func alignment(from metadata: [String: GGUFValue], reader: GGUFReader) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let alignment = value.intValue, alignment > 0, alignment & (alignment - 1) == 0 else {
            throw reader.failure("general.alignment is \(value), expected a positive power of two such as 32")
        }
        return alignment
    }

    private static func readTensorInfo(_ reader: inout GGUFReader, index: Int) throws -> RawTensor {
        let name = try reader.string("the name of tensor \(index)")
        let dimensionCount = try reader.read(UInt32.self, "the dimension count of tensor '\(name)'")
        guard dimensionCount <= maximumDimensions else {
            throw reader.failure(
                "tensor '\(name)' has \(dimensionCount) dimensions, at most \(maximumDimensions) are allowed"
            )
        }
        var dims: [Int] = []
        var elements = 1
        for _ in 0..<dimensionCount {
            let dim = try reader.read(UInt64.self, "the dims of tensor '\(name)'")
            let product = elements.multipliedReportingOverflow(by: Int(truncatingIfNeeded: dim))
            guard dim <= UInt64(Int.max), !product.overflow else {
                throw reader.failure("tensor '\(name)' has dimension \(dim), which overflows its element count")
            }
            dims.append(Int(dim))
            elements = product.partialValue
        }
        let type = GGUFTensorType(id: try reader.read(UInt32.self, "the type of tensor '\(name)'"))
        let offset = try reader.read(UInt64.self, "the data offset of tensor '\(name)'")
        return RawTensor(name: name, dims: dims, type: type, offset: offset)
    }

    private static func entry(
        _ raw: RawTensor,
        metadata: [String: GGUFValue],
        dataStart: Int,
        alignment: Int,
        reader: GGUFReader
    ) throws -> Entry {
        let shape = try shape(of: raw, metadata: metadata, reader: reader)
        let info = TensorInfo(name: raw.name, shape: shape, storedType: raw.type.name)
        // NOTE: the data range of a type id unknown to this table is not checked, because its size
        // is unknown. Such a tensor can only fail with `unsupportedType` on load.
        guard raw.type.blockSize != nil else { return Entry(info: info, type: raw.type, range: nil) }

        let rowLength = raw.dims.first ?? 1
        guard let rowBytes = raw.type.rowBytes(elements: rowLength) else {
            throw reader.failure(
                "tensor '\(raw.name)' has rows of \(rowLength) elements, not a multiple of the \(raw.type.blockSize ?? 0)-element blocks of \(raw.type.name)"
            )
        }
        guard raw.offset % UInt64(alignment) == 0 else {
            throw reader.failure(
                "tensor '\(raw.name)' has data offset \(raw.offset), not a multiple of the alignment \(alignment)"
            )
        }
        // The element count was checked for overflow, but with a zero row length the row count
        // can still overflow, so it gets its own check.
        let byteCount = elementCount(Array(raw.dims.dropFirst())).map { $0.multipliedReportingOverflow(by: rowBytes) }
        guard let byteCount, !byteCount.overflow else {
            throw reader.failure("tensor '\(raw.name)' has dims \(raw.dims), whose byte count overflows")
        }
        let available = UInt64(max(0, reader.bytes.count - dataStart))
        guard raw.offset <= available, UInt64(byteCount.partialValue) <= available - raw.offset else {
            throw reader.failure(
                "tensor '\(raw.name)' needs \(byteCount.partialValue) bytes at data offset \(raw.offset), past the end of the file (\(reader.bytes.count) bytes, data section from byte \(dataStart))"
            )
        }
        let start = dataStart + Int(raw.offset)
        return Entry(info: info, type: raw.type, range: start..<(start + byteCount.partialValue))
    }

    /// Returns the row-major shape: the reversed dims, or the `comfy.gguf.orig_shape.<name>` array
    /// when present.
    private static func shape(of raw: RawTensor, metadata: [String: GGUFValue], reader: GGUFReader) throws -> [Int] {
        let stored = Array(raw.dims.reversed())
        let key = originalShapePrefix + raw.name
        guard let value = metadata[key] else { return stored }
        let original = value.arrayValue?.compactMap(\.intValue) ?? []
        guard let elements = value.arrayValue, original.count == elements.count, original.allSatisfy({ $0 >= 0 }) else {
            throw reader.failure("metadata key '\(key)' is \(value), expected an array of non-negative integers")
        }
        guard elementCount(original) == elementCount(stored) else {
            throw reader.failure("metadata key '\(key)' gives shape \(original) for a tensor of shape \(stored)")
        }
        return original
    }

    /// Returns the product of `shape`, nil when it overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dim in shape {
            let next = product.multipliedReportingOverflow(by: dim)
            if next.overflow { return nil }
            product = next.partialValue
        }
        return product
    }
}
