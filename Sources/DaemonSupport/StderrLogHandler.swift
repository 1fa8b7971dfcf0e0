#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Writes each record as one line on standard error.
///
/// With `journalPrefixes` the line starts with the `<N>` syslog priority that journald parses
/// (sd-daemon.h), which is how a `Type=notify` service gets priorities without linking the journal API.
public struct StderrLogHandler: LogHandler {
    public let journalPrefixes: Bool

    public init(journalPrefixes: Bool) {
        self.journalPrefixes = journalPrefixes
    }

    public func emit(_ record: LogRecord) {
        let prefix = journalPrefixes ? "<\(record.level.syslogPriority)>" : "\(record.level): "
        let line = prefix + record.formattedLine + "\n"
        fputs(line, stderr)
    }
}
