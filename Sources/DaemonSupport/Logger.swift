import Synchronization

/// A structured logger in the manner of swift-log: a constant message plus dotted metadata.
///
/// Messages are sentence-case phrases without interpolation ("Job claimed"); the values go in
/// metadata (`job.id`, `file.path`, `error`). A `Logger` is a cheap value; copy it and add metadata
/// for a narrower scope.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CustomStringConvertible {
        case trace = 0, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The syslog priority that journald reads from a `<N>` line prefix (sd-daemon.h).
        public var syslogPriority: Int {
            switch self {
            case .trace, .debug: 7
            case .info: 6
            case .notice: 5
            case .warning: 4
            case .error: 3
            case .critical: 2
            }
        }

        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }

        public init?(name: String) {
            let levels: [Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
            guard let level = levels.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public typealias Metadata = [String: String]

    public let label: String
    public var logLevel: Level
    public var metadata: Metadata
    public let handler: any LogHandler

    public init(label: String, level: Level = .info, handler: any LogHandler) {
        self.label = label
        self.logLevel = level
        self.metadata = [:]
        self.handler = handler
    }

    /// Returns a copy of this logger whose records carry `extra` in addition to the current metadata.
    public func with(_ extra: Metadata) -> Logger {
        var copy = self
        copy.metadata.merge(extra) { _, new in new }
        return copy
    }

    public func log(
        _ level: Level,
        _ message: @autoclosure () -> String,
        _ extra: @autoclosure () -> Metadata = [:],
        file: String = #fileID,
        line: UInt = #line
    ) {
        guard level >= logLevel else { return }
        var merged = metadata
        merged.merge(extra()) { _, new in new }
        handler.emit(LogRecord(level: level, label: label, message: message(), metadata: merged))
    }

    public func debug(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.debug, message(), extra())
    }

    public func info(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.info, message(), extra())
    }

    public func notice(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.notice, message(), extra())
    }

    public func warning(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.warning, message(), extra())
    }

    public func error(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.error, message(), extra())
    }

    public func critical(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> Metadata = [:]) {
        log(.critical, message(), extra())
    }
}

/// One log line before formatting.
public struct LogRecord: Sendable, Equatable {
    public var level: Logger.Level
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata

    public init(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// The record as one line: message, then `key=value` pairs sorted by key, values quoted when they hold spaces.
    public var formattedLine: String {
        var line = message
        for key in metadata.keys.sorted() {
            let value = metadata[key] ?? ""
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            let rendered = needsQuotes ? "\"" + value.replacingAll("\"", with: "\\\"") + "\"" : value
            line += " \(key)=\(rendered)"
        }
        return line.replacingAll("\n", with: "\\n")
    }
}

/// A destination for log records.
public protocol LogHandler: Sendable {
    func emit(_ record: LogRecord)
}

/// Keeps records in memory, for tests.
public final class MemoryLogHandler: LogHandler {
    private let storage = Mutex<[LogRecord]>([])

    public init() {}

    public func emit(_ record: LogRecord) {
        storage.withLock { $0.append(record) }
    }

    public var records: [LogRecord] {
        storage.withLock { $0 }
    }
}

extension String {
    /// Replaces every occurrence of `target`; Foundation-free so the logger has no Foundation dependency.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        result.reserveCapacity(count)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
