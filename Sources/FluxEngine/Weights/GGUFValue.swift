/// One metadata value of a GGUF file, typed as the file stores it.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The value as an `Int` when it is an integer that fits, nil otherwise.
    public var intValue: Int? {
        switch self {
        case .uint8(let value): return Int(value)
        case .int8(let value): return Int(value)
        case .uint16(let value): return Int(value)
        case .int16(let value): return Int(value)
        case .uint32(let value): return Int(value)
        case .int32(let value): return Int(value)
        case .uint64(let value): return Int(exactly: value)
        case .int64(let value): return Int(exactly: value)
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var arrayValue: [GGUFValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

/// A bounds-checked little-endian reader over the header of a GGUF file.
///
/// Every count and length is checked against the bytes that remain before anything is allocated,
/// so a corrupt header gives `EngineError.malformedFile` instead of a huge allocation or a crash.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset = 0

    /// Nested arrays deeper than this are rejected, which bounds the recursion of `value(type:key:)`.
    static let maximumArrayDepth = 8

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    func failure(_ reason: String) -> EngineError {
        EngineError.malformedFile(path: path, reason: reason)
    }

    mutating func skip(to position: Int) { offset = position }

    mutating func read<Value: FixedWidthInteger>(_ type: Value.Type, _ what: @autoclosure () -> String) throws -> Value
    {
        let size = MemoryLayout<Value>.size
        guard remaining >= size else {
            throw failure("the file ends at byte \(bytes.count) inside \(what())")
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: Value.self)
        offset += size
        return Value(littleEndian: value)
    }

    /// Reads a count and checks that `count` items of at least `minimumItemBytes` each fit in the
    /// rest of the file.
    mutating func count(_ what: @autoclosure () -> String, minimumItemBytes: Int) throws -> Int {
        let raw = try read(UInt64.self, what())
        let limit = remaining / max(minimumItemBytes, 1)
        guard raw <= UInt64(limit) else {
            throw failure("\(what()) is \(raw), but only \(remaining) bytes remain in the file")
        }
        return Int(raw)
    }

    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(remaining) else {
            throw failure("\(what()) has a length of \(length) bytes, but only \(remaining) bytes remain in the file")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        return String(decoding: slice, as: UTF8.self)
    }

    /// Reads one metadata value of type id `type`. Errors name it by `key`.
    mutating func value(type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        let what = "the value of metadata key '\(key)'"
        switch type {
        case 0: return .uint8(try read(UInt8.self, what))
        case 1: return .int8(try read(Int8.self, what))
        case 2: return .uint16(try read(UInt16.self, what))
        case 3: return .int16(try read(Int16.self, what))
        case 4: return .uint32(try read(UInt32.self, what))
        case 5: return .int32(try read(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, what)))
        case 7: return .bool(try read(UInt8.self, what) != 0)
        case 8: return .string(try string(what))
        case 9: return try array(key: key, depth: depth)
        case 10: return .uint64(try read(UInt64.self, what))
        case 11: return .int64(try read(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, what)))
        default: throw failure("metadata key '\(key)' has unknown value type \(type)")
        }
    }

    private mutating func array(key: String, depth: Int) throws -> GGUFValue {
        guard depth < Self.maximumArrayDepth else {
            throw failure("metadata key '\(key)' nests arrays deeper than \(Self.maximumArrayDepth) levels")
        }
        let elementType = try read(UInt32.self, "the array type of metadata key '\(key)'")
        let count = try count(
            "the array length of metadata key '\(key)'",
            minimumItemBytes: Self.minimumBytes(ofType: elementType)
        )
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try value(type: elementType, key: key, depth: depth + 1))
        }
        return .array(elements)
    }

    /// Returns the minimum size of a value of `type`: its width, or the size of its length and
    /// type fields for strings and arrays.
    private static func minimumBytes(ofType type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return 1
        }
    }
}
