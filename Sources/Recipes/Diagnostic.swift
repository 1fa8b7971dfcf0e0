/// One problem found in a YAML file, printed like a compiler message: `file:line:column: error: message`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    public var file: String
    /// Nil when the problem concerns the whole file, for example when it cannot be read.
    public var position: SourcePosition?
    public var severity: Severity
    public var message: String

    public init(file: String, position: SourcePosition?, severity: Severity = .error, message: String) {
        self.file = file
        self.position = position
        self.severity = severity
        self.message = message
    }

    public var description: String {
        guard let position else { return "\(file): \(severity.rawValue): \(message)" }
        return "\(file):\(position.line):\(position.column): \(severity.rawValue): \(message)"
    }
}

/// Collects the diagnostics for one file while a schema walks its node tree.
struct DiagnosticCollector {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func error(_ message: String, at node: YAMLNode) {
        diagnostics.append(Diagnostic(file: file, position: node.position, message: message))
    }

    mutating func warning(_ message: String, at node: YAMLNode) {
        diagnostics.append(Diagnostic(file: file, position: node.position, severity: .warning, message: message))
    }

    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

extension [Diagnostic] {
    /// Returns the diagnostics in file order, those without a position first.
    func sortedByPosition() -> [Diagnostic] {
        let start = SourcePosition(line: 0, column: 0)
        return sorted { ($0.position ?? start) < ($1.position ?? start) }
    }
}
