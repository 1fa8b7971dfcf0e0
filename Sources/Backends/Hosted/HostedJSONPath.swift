/// A small path language into JSON bodies: `a.b`, `output[0]`, `images[*].url`, with an optional `$.`.
///
/// `[*]` takes the first element that yields a value, which is how a list of output images is read.
/// A string at the end of `output` also matches `output[0]`, since Replicate returns either a URI or a
/// list of URIs depending on the model.
enum HostedJSONPath {
    static func value(at path: String, in root: JSONValue) -> JSONValue? {
        var text = Substring(path)
        if text.hasPrefix("$.") { text = text.dropFirst(2) } else if text == "$" { return root }
        return evaluate(tokens(text)[...], in: root)
    }

    static func string(at path: String, in root: JSONValue) -> String? {
        guard let found = value(at: path, in: root) else { return nil }
        if let text = found.stringValue { return text }
        if let first = found.arrayValue?.first?.stringValue { return first }
        return nil
    }

    /// The first path in `paths` that gives a non-empty text, or a compact JSON rendering of an object there.
    static func message(at paths: [String], in root: JSONValue) -> String? {
        for path in paths {
            guard let found = value(at: path, in: root), !found.isNull else { continue }
            if let text = found.stringValue, !text.isEmpty { return text }
            if let items = found.arrayValue {
                let texts = items.compactMap { $0["msg"]?.stringValue ?? $0["message"]?.stringValue ?? $0.stringValue }
                if !texts.isEmpty { return texts.joined(separator: "; ") }
            }
            return found.serializedString
        }
        return nil
    }

    private enum Token {
        case key(String)
        case index(Int)
        case anyIndex
    }

    private static func tokens(_ path: Substring) -> [Token] {
        var tokens: [Token] = []
        for part in path.split(separator: ".") {
            var rest = part
            if let open = rest.firstIndex(of: "[") {
                let name = rest[..<open]
                if !name.isEmpty { tokens.append(.key(String(name))) }
                rest = rest[open...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    let inside = rest[rest.index(after: rest.startIndex)..<close]
                    tokens.append(inside == "*" ? .anyIndex : .index(Int(inside) ?? -1))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                tokens.append(.key(String(rest)))
            }
        }
        return tokens
    }

    private static func evaluate(_ tokens: ArraySlice<Token>, in value: JSONValue) -> JSONValue? {
        guard let token = tokens.first else { return value }
        let rest = tokens.dropFirst()
        switch token {
        case .key(let name):
            guard let member = value[name] else { return nil }
            return evaluate(rest, in: member)
        case .index(let index):
            if case .string = value, index == 0 { return evaluate(rest, in: value) }
            guard let items = value.arrayValue, items.indices.contains(index) else { return nil }
            return evaluate(rest, in: items[index])
        case .anyIndex:
            if case .string = value { return evaluate(rest, in: value) }
            for item in value.arrayValue ?? [] {
                if let found = evaluate(rest, in: item), !found.isNull { return found }
            }
            return nil
        }
    }
}
