/// Reads typed values out of YAML nodes, reporting every problem to a `DiagnosticCollector`.
///
/// Plain scalars follow YAML 1.2's core schema (decimal integers, numbers, `true`/`false`, `null`).
/// Quoted scalars are strings, so `steps: "20"` is rejected with a hint to remove the quotes.
/// `path` arguments are dotted key paths such as `output.quality` or `chain[2].prompt`.
struct SchemaReader {
    var collector: DiagnosticCollector

    init(file: String) {
        collector = DiagnosticCollector(file: file)
    }

    /// Returns a mapping's known pairs, reporting keys outside `allowed` and values that are not mappings.
    ///
    /// `listed` names the keys an unknown-key message offers, when some allowed keys are only rejected
    /// later with a message of their own (such as `intake` in a sidecar).
    mutating func fields(of node: YAMLNode, path: String?, allowed: [String], listed: [String]? = nil) -> Fields? {
        guard let pairs = node.pairs else {
            let name = path.map { "'\($0)'" } ?? "the top level"
            collector.error(
                "invalid value for \(name): expected a mapping of keys, found \(node.kindDescription)",
                at: node
            )
            return nil
        }
        var known: [YAMLPair] = []
        for pair in pairs {
            guard allowed.contains(pair.name) else {
                collector.error(unknownKeyMessage(pair.name, path: path, allowed: listed ?? allowed), at: pair.key)
                continue
            }
            known.append(pair)
        }
        return Fields(pairs: known)
    }

    private func unknownKeyMessage(_ key: String, path: String?, allowed: [String]) -> String {
        let place = path.map { " in '\($0)'" } ?? ""
        if let suggestion = KeySuggestion.closest(to: key, among: allowed) {
            return "unknown key '\(key)'\(place); did you mean '\(suggestion)'?"
        }
        return "unknown key '\(key)'\(place); valid keys are \(allowed.joined(separator: ", "))"
    }

    /// Reports a value that does not match `expected`, quoting it and hinting at stray quotes.
    mutating func reject(_ node: YAMLNode, path: String, expected: String, unquotedWouldParse: Bool = false) {
        let message: String
        switch node.content {
        case .scalar where node.isNull:
            message = "'\(path)' has no value; expected \(expected)"
        case .scalar(let text, .plain):
            message = "invalid value '\(text)' for '\(path)': expected \(expected)"
        case .scalar(let text, _) where unquotedWouldParse:
            message = "invalid value for '\(path)': found the string '\(text)'; remove the quotes to write \(expected)"
        case .scalar(let text, _):
            message = "invalid value '\(text)' for '\(path)': expected \(expected)"
        case .sequence, .mapping:
            message = "invalid value for '\(path)': expected \(expected), found \(node.kindDescription)"
        }
        collector.error(message, at: node)
    }

    /// Reads a non-empty string. Any non-null scalar counts, so `prompt: 2024` is the text "2024".
    mutating func string(_ node: YAMLNode, path: String, expected: String = "a text") -> String? {
        guard let text = node.scalarText, !node.isNull else {
            reject(node, path: path, expected: expected)
            return nil
        }
        guard !text.trimmingWhitespace.isEmpty else {
            collector.error("'\(path)' is empty; expected \(expected)", at: node)
            return nil
        }
        return text
    }

    mutating func integer(_ node: YAMLNode, path: String, range: ClosedRange<Int>, example: String) -> Int? {
        let expected = "an integer from \(range.lowerBound) to \(range.upperBound), for example '\(example)'"
        let parsed = node.scalarText.flatMap(Self.parseInteger)
        guard node.isPlainScalar, let value = parsed, let int = Int(exactly: value), range.contains(int) else {
            reject(node, path: path, expected: expected, unquotedWouldParse: parsed != nil)
            return nil
        }
        return int
    }

    /// Reads a seed: an integer from 0 to 2^64 - 1.
    mutating func seed(_ node: YAMLNode, path: String) -> UInt64? {
        let expected = "an integer from 0 to \(UInt64.max), for example 'seed: 42'"
        let text = node.scalarText ?? ""
        let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
        let value = digits.allSatisfy(\.isASCIIDigit) ? UInt64(digits) : nil
        guard node.isPlainScalar, let value else {
            reject(node, path: path, expected: expected, unquotedWouldParse: value != nil)
            return nil
        }
        return value
    }

    mutating func number(_ node: YAMLNode, path: String, range: ClosedRange<Double>, example: String) -> Double? {
        let expected =
            "a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)), "
            + "for example '\(example)'"
        let parsed = node.scalarText.flatMap(Self.parseNumber)
        guard node.isPlainScalar, let value = parsed, range.contains(value) else {
            reject(node, path: path, expected: expected, unquotedWouldParse: parsed != nil)
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode, path: String) -> Bool? {
        let parsed = node.scalarText.flatMap(Self.parseBool)
        guard node.isPlainScalar, let value = parsed else {
            reject(node, path: path, expected: "true or false", unquotedWouldParse: parsed != nil)
            return nil
        }
        return value
    }

    /// Reads one of an enum's raw values, listing them all when the value is not one of them.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: YAMLNode,
        path: String,
        as type: Choice.Type
    ) -> Choice? where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        guard let text = node.scalarText, !node.isNull, let value = Choice(rawValue: text) else {
            reject(node, path: path, expected: "one of \(names.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// Reads a list, reporting a scalar or mapping in its place.
    mutating func list(_ node: YAMLNode, path: String, expected: String) -> [YAMLNode]? {
        guard let items = node.items else {
            reject(node, path: path, expected: expected)
            return nil
        }
        return items
    }
}

/// The known keys of one mapping, in file order.
struct Fields {
    let pairs: [YAMLPair]

    subscript(key: String) -> YAMLNode? {
        pairs.first { $0.name == key }?.value
    }
}

extension SchemaReader {
    /// Parses a YAML 1.2 core-schema decimal integer with an optional sign.
    static func parseInteger(_ text: String) -> Int64? {
        let body = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int64(text.first == "+" ? String(body) : text)
    }

    /// Parses a finite YAML 1.2 core-schema number such as `2.5`, `-1`, `.5` or `1e3`.
    static func parseNumber(_ text: String) -> Double? {
        let allowed = Set("0123456789+-.eE")
        guard !text.isEmpty, text.allSatisfy(allowed.contains), text.contains(where: \.isASCIIDigit) else {
            return nil
        }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// Formats a bound without a trailing `.0`, so ranges read "0 to 30".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    var trimmingWhitespace: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}

/// Suggests the closest known key for a misspelt one.
enum KeySuggestion {
    /// Returns the allowed key nearest to `key`, if it is close enough to be a likely typo.
    ///
    /// `keepMetadata` and `keep-metadata` match `keep_metadata` because case, `-` and `_` are ignored first.
    static func closest(to key: String, among allowed: [String]) -> String? {
        let normalized = normalize(key)
        if let exact = allowed.first(where: { normalize($0) == normalized }) { return exact }

        let threshold = max(1, min(3, key.count / 3))
        let scored = allowed.map { (key: $0, distance: editDistance(normalized, normalize($0))) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= threshold else { return nil }
        return best.key
    }

    private static func normalize(_ key: String) -> [Character] {
        Array(key.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Returns the Levenshtein distance between two character arrays.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
