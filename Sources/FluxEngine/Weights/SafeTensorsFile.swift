import Foundation

/// A memory-mapped `.safetensors` file: an 8-byte header length, a JSON header naming each tensor's
/// type, shape and byte range, then the raw data.
public struct SafeTensorsFile: WeightStore {
    struct Entry: Sendable {
        var info: TensorInfo
        var range: Range<Int>
    }

    public let origin: String
    /// The free-form `__metadata__` strings of the header.
    public let metadata: [String: String]
    private let file: MappedFile
    private let entries: [String: Entry]

    /// Headers larger than this are refused before parsing; real ones are a few hundred KB.
    static let maximumHeaderSize = 100 << 20

    public init(path: String) throws {
        file = try MappedFile(path: path)
        origin = path
        let headerSize = try file.withBytes(0..<min(8, file.count)) { bytes -> Int in
            guard bytes.count == 8 else {
                throw EngineError.malformedFile(path: path, reason: "shorter than the 8-byte header length")
            }
            return Int(UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))
        }
        guard headerSize > 1, headerSize <= Self.maximumHeaderSize, 8 + headerSize <= file.count else {
            throw EngineError.malformedFile(path: path, reason: "header length \(headerSize) does not fit the file")
        }
        let header = try file.withBytes(8..<(8 + headerSize)) { Data($0) }
        (entries, metadata) = try Self.parse(header: header, dataStart: 8 + headerSize, fileSize: file.count, path: path)
    }

    public var tensorNames: [String] { entries.keys.sorted() }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    public func load(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name: name, file: origin) }
        let type = entry.info.storedType
        if type == "F32", entry.range.count == entry.info.elementCount * 4, Int32(littleEndian: 1) == 1 {
            var tensor = Tensor.uninitialized(shape: entry.info.shape)
            try tensor.storage.withUnsafeMutableBytes { try file.read(entry.range, into: $0) }
            return tensor
        }
        var values = [Float](repeating: 0, count: entry.info.elementCount)
        let converted = try file.read(entry.range) { bytes in
            values.withUnsafeMutableBufferPointer { ElementConversion.convert(type: type, bytes: bytes, into: $0) }
        }
        guard converted else { throw EngineError.unsupportedType(name: name, type: type) }
        return Tensor(shape: entry.info.shape, storage: values)
    }

    /// Converts only the requested rows, so an embedding lookup does not convert the whole table.
    public func gatherRows(_ name: String, indices: [Int]) throws -> Tensor {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name: name, file: origin) }
        let type = entry.info.storedType
        let width = entry.info.shape.last ?? 1
        try checkRows(indices, of: name, rowCount: width == 0 ? 0 : entry.info.elementCount / width)
        guard let elementBytes = ElementConversion.byteWidth(of: type) else {
            throw EngineError.unsupportedType(name: name, type: type)
        }
        let rowBytes = width * elementBytes
        var values = [Float](repeating: 0, count: indices.count * width)
        try values.withUnsafeMutableBufferPointer { output in
            for (row, index) in indices.enumerated() {
                let start = entry.range.lowerBound + index * rowBytes
                let target = UnsafeMutableBufferPointer(rebasing: output[(row * width)..<((row + 1) * width)])
                _ = try file.read(start..<(start + rowBytes)) { ElementConversion.convert(type: type, bytes: $0, into: target) }
            }
        }
        return Tensor(shape: [indices.count, width], storage: values)
    }

    private static func parse(
        header: Data,
        dataStart: Int,
        fileSize: Int,
        path: String
    ) throws -> ([String: Entry], [String: String]) {
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw EngineError.malformedFile(path: path, reason: "the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            entries[name] = try entry(name: name, value: value, dataStart: dataStart, fileSize: fileSize, path: path)
        }
        return (entries, metadata)
    }

    private static func entry(
        name: String,
        value: Any,
        dataStart: Int,
        fileSize: Int,
        path: String
    ) throws -> Entry {
        guard let fields = value as? [String: Any],
            let type = fields["dtype"] as? String,
            let shape = (fields["shape"] as? [NSNumber])?.map(\.intValue),
            let offsets = (fields["data_offsets"] as? [NSNumber])?.map(\.intValue),
            offsets.count == 2
        else {
            throw EngineError.malformedFile(path: path, reason: "tensor '\(name)' has no dtype, shape or data_offsets")
        }
        let info = TensorInfo(name: name, shape: shape, storedType: type)
        let range = (dataStart + offsets[0])..<(dataStart + offsets[1])
        guard offsets[0] <= offsets[1], range.upperBound <= fileSize, shape.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.malformedFile(path: path, reason: "tensor '\(name)' has data range \(offsets) outside the file")
        }
        if let width = ElementConversion.byteWidth(of: type), width * info.elementCount != range.count {
            throw EngineError.malformedFile(
                path: path,
                reason: "tensor '\(name)' of shape \(shape) and type \(type) needs \(width * info.elementCount) bytes, has \(range.count)"
            )
        }
        return Entry(info: info, range: range)
    }
}
