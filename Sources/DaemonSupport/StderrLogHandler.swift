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

extension StderrLogHandler {
    /// Returns a handler that writes `<N>` priority prefixes when standard error is connected to the journal,
    /// and plain `level: message` lines otherwise (a terminal, a pipe or a file).
    ///
    /// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose standard error goes to the journal.
    /// The variable is inherited by child processes that may have redirected standard error, so the value is
    /// compared with `fstat` of descriptor 2, as systemd.exec(5) recommends.
    public static func makeDefault() -> StderrLogHandler {
        let journalStream = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        return StderrLogHandler(journalPrefixes: isJournalStream(journalStream, descriptor: STDERR_FILENO))
    }

    /// Returns whether `journalStream` (a `JOURNAL_STREAM` value) names the file that `descriptor` refers to.
    static func isJournalStream(_ journalStream: String?, descriptor: CInt) -> Bool {
        guard let journalStream else { return false }

        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
