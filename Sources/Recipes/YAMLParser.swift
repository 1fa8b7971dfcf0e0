internal import CYAML

/// Limits that keep hostile YAML (such as "billion laughs" alias bombs) from being expanded.
public struct YAMLLimits: Sendable, Equatable {
    /// Maximum number of nodes after alias expansion. Each use of an alias counts its whole subtree.
    public var maxNodes: Int
    /// Maximum nesting depth after alias expansion, where the top-level node is depth 1.
    public var maxDepth: Int
    /// Maximum input size in bytes.
    public var maxBytes: Int

    public init(maxNodes: Int = 10_000, maxDepth: Int = 64, maxBytes: Int = 1 << 20) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }
}

/// Parses YAML with libyaml's event API into a `YAMLNode` tree.
public enum YAMLParser {
    /// Parses one YAML document.
    ///
    /// Returns nil for a stream without a document (an empty file or only comments) and for a
    /// document that is a single null scalar (`---` alone). Throws on invalid UTF-8, syntax errors,
    /// duplicate keys, non-scalar keys, a second document, undefined aliases, tags outside the
    /// YAML core schema, and documents that exceed `limits`.
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = YAMLLimits()) throws(YAMLError) -> YAMLNode? {
        guard bytes.count <= limits.maxBytes else {
            throw .tooLarge(byteCount: bytes.count, limit: limits.maxBytes)
        }
        try validateUTF8(bytes)

        let reader = EventReader(bytes: bytes)
        var builder = TreeBuilder(limits: limits)
        var root: YAMLNode?
        var documentCount = 0
        while true {
            let event = try reader.next()
            switch event.kind {
            case .documentStart:
                documentCount += 1
                guard documentCount == 1 else { throw .multipleDocuments(at: event.position) }
            case .streamEnd:
                guard let node = root, !node.isNull else { return nil }
                return node
            case .streamStart, .documentEnd:
                continue
            default:
                if let node = try builder.add(event) { root = node }
            }
        }
    }

    /// Rejects bytes that are not UTF-8, naming the first bad byte and its position.
    ///
    /// libyaml checks encoding too, but reports only a byte offset for reader errors.
    static func validateUTF8(_ bytes: [UInt8]) throws(YAMLError) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1
        var column = 1
        // The offset of the next undecoded byte, which is where an invalid sequence starts.
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                // libyaml skips a byte order mark, so it takes no column.
                let isByteOrderMark = offset == 0 && scalar == "\u{FEFF}"
                offset += UTF8.width(scalar)
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else if !isByteOrderMark {
                    column += 1
                }
            case .emptyInput:
                return
            case .error:
                throw .invalidUTF8(byte: bytes[offset], at: SourcePosition(line: line, column: column))
            }
        }
    }
}

/// One libyaml event, copied out of the C struct.
struct YAMLEvent {
    enum Kind {
        case streamStart, streamEnd, documentStart, documentEnd
        case alias(anchor: String)
        case scalar(String, ScalarStyle)
        case sequenceStart, sequenceEnd, mappingStart, mappingEnd
    }

    var kind: Kind
    var position: SourcePosition
    var anchor: String?
    var tag: String?
}

/// The owner of a libyaml parser, kept on the heap because `yaml_parser_t` points into itself.
final class EventReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(bytes: [UInt8]) {
        parser = .allocate(capacity: 1)
        // libyaml reads the input lazily, so it needs a copy that lives as long as the parser.
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        // The parser struct is zeroed and fresh, so a failure here can only be an allocation failure of its buffers.
        precondition(yaml_parser_initialize(parser) == 1, "libyaml could not allocate a parser")
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// Reads the next event. The corresponding C function is `yaml_parser_parse`.
    func next() throws(YAMLError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError() }
        defer { yaml_event_delete(&event) }
        return YAMLEvent(event)
    }

    /// Turns libyaml's error fields into a message with a 1-based position.
    private func syntaxError() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown libyaml error"
        let mark = state.problem_mark
        let position = SourcePosition(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        var message = problem
        if let context = state.context.map({ String(cString: $0) }) {
            let start = SourcePosition(
                line: Int(state.context_mark.line) + 1,
                column: Int(state.context_mark.column) + 1
            )
            message = start == position ? "\(context): \(problem)" : "\(context) (started at \(start)): \(problem)"
        }
        let index = Int(mark.index)
        if index < input.count, input[index] == UInt8(ascii: "\t") {
            message += "; indent YAML with spaces, not tabs"
        }
        return .syntax(message, at: position)
    }
}

extension YAMLEvent {
    init(_ event: yaml_event_t) {
        position = SourcePosition(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        anchor = nil
        tag = nil
        switch event.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_ALIAS_EVENT:
            kind = .alias(anchor: Self.text(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            kind = .scalar(value, Self.style(scalar.style))
            anchor = Self.text(scalar.anchor)
            tag = Self.text(scalar.tag)
        case YAML_SEQUENCE_START_EVENT:
            kind = .sequenceStart
            anchor = Self.text(event.data.sequence_start.anchor)
            tag = Self.text(event.data.sequence_start.tag)
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            kind = .mappingStart
            anchor = Self.text(event.data.mapping_start.anchor)
            tag = Self.text(event.data.mapping_start.tag)
        default: kind = .mappingEnd
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
