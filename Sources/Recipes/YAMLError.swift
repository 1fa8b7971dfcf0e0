/// An error that keeps a YAML file from becoming a node tree.
public enum YAMLError: Error, Equatable, CustomStringConvertible {
    /// Bytes that are not UTF-8, with the first invalid byte.
    case invalidUTF8(byte: UInt8, at: SourcePosition)
    /// A problem that libyaml's scanner or parser reported, in libyaml's words.
    case syntax(String, at: SourcePosition)
    case duplicateKey(String, at: SourcePosition, first: SourcePosition)
    case nonScalarKey(at: SourcePosition)
    case multipleDocuments(at: SourcePosition)
    case undefinedAlias(String, at: SourcePosition)
    case unsupportedTag(String, at: SourcePosition)
    /// The document, with aliases expanded, has more nodes than the limit.
    case tooManyNodes(limit: Int, at: SourcePosition)
    /// The document, with aliases expanded, nests deeper than the limit.
    case tooDeep(limit: Int, at: SourcePosition)
    case tooLarge(byteCount: Int, limit: Int)

    /// The position of the problem, or the start of the file for a size error.
    public var position: SourcePosition {
        switch self {
        case .invalidUTF8(_, let at), .syntax(_, let at), .duplicateKey(_, let at, _), .nonScalarKey(let at),
            .multipleDocuments(let at), .undefinedAlias(_, let at), .unsupportedTag(_, let at),
            .tooManyNodes(_, let at), .tooDeep(_, let at):
            at
        case .tooLarge:
            SourcePosition(line: 1, column: 1)
        }
    }

    /// The message without the position.
    public var message: String {
        switch self {
        case .invalidUTF8(let byte, _):
            "invalid UTF-8 byte 0x\(String(byte, radix: 16, uppercase: true)); save the file as UTF-8"
        case .syntax(let text, _):
            text
        case .duplicateKey(let key, _, let first):
            "duplicate key '\(key)' (first set at line \(first.line)); remove one of them"
        case .nonScalarKey:
            "a mapping key must be a scalar such as 'prompt', not a list or mapping"
        case .multipleDocuments:
            "a second YAML document ('---') is not allowed; put everything in one document"
        case .undefinedAlias(let name, _):
            "alias '*\(name)' refers to an anchor '&\(name)' that is not defined before it"
        case .unsupportedTag(let tag, _):
            "unsupported tag '\(tag)'; remove it"
        case .tooManyNodes(let limit, _):
            "the document expands to more than \(limit) nodes (aliases count once per use); "
                + "simplify it or use fewer aliases"
        case .tooDeep(let limit, _):
            "the document nests deeper than \(limit) levels (aliases included); flatten it"
        case .tooLarge(let byteCount, let limit):
            "the file has \(byteCount) bytes, more than the limit of \(limit); YAML files here must be small"
        }
    }

    public var description: String { "\(position): error: \(message)" }
}
