/// A 1-based line and column in a YAML file. Columns count characters, as libyaml does.
public struct SourcePosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written, which decides how it is typed.
///
/// Only plain scalars can be numbers, booleans or null. A quoted or block scalar is always a string.
public enum ScalarStyle: Sendable, Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One node of a parsed YAML document, with the position where it starts.
///
/// Aliases are already expanded, so an aliased node appears as a copy with its anchor's position.
public struct YAMLNode: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    public var position: SourcePosition
    /// The explicit tag, such as `tag:yaml.org,2002:str` for `!!str`, or nil when the node has none.
    public var tag: String?

    public init(_ content: Content, position: SourcePosition, tag: String? = nil) {
        self.content = content
        self.position = position
        self.tag = tag
    }
}

/// A key and its value in a YAML mapping.
public struct YAMLPair: Sendable, Equatable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }

    /// The key's text. The parser accepts only scalar keys.
    public var name: String {
        if case .scalar(let text, _) = key.content { return text }
        return ""
    }
}

extension YAMLNode {
    /// The scalar's text, or nil for a sequence or mapping.
    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// The mapping's pairs in file order, or nil for a scalar or sequence.
    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The sequence's items, or nil for a scalar or mapping.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// Whether the node is a plain scalar that YAML 1.2's core schema reads as null (`~`, `null`, empty).
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = content, tag == nil else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// Whether a plain scalar may be read as a number, boolean or null.
    ///
    /// Quoted and block scalars, and scalars tagged `!!str`, are always strings.
    var isPlainScalar: Bool {
        guard case .scalar(_, .plain) = content else { return false }
        return tag == nil || tag != YAMLTag.string
    }

    /// A short phrase for the node's kind in messages: "a mapping", "a list", "the string 'x'".
    var kindDescription: String {
        switch content {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let text, let style):
            if isNull { "no value" } else if style == .plain { "'\(text)'" } else { "the string '\(text)'" }
        }
    }
}

/// The YAML 1.2 core-schema tags that the parser accepts.
enum YAMLTag {
    static let string = "tag:yaml.org,2002:str"
    static let accepted: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq",
    ]
}
