internal import CSystemd

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Sends service state to systemd through `sd_notify`, for a `Type=notify` unit.
///
/// Without `NOTIFY_SOCKET` in the environment (the daemon runs outside systemd) every message is dropped
/// and the methods return false. The corresponding C function is `sd_notify`, called with the message
/// formatted in Swift because the variadic `sd_notifyf` does not import.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `READY=1`, and a status line when `status` is given: start-up or a reload has finished.
    @discardableResult
    public func ready(status: String? = nil) throws(SystemError) -> Bool {
        var lines = ["READY=1"]
        if let status {
            lines.append("STATUS=" + SystemdNotifier.singleLine(status))
        }
        return try send(lines.joined(separator: "\n"))
    }

    /// Sends `STATUS=<text>`, the free-form line `systemctl status` shows; newlines become spaces.
    @discardableResult
    public func status(_ text: String) throws(SystemError) -> Bool {
        try send("STATUS=" + SystemdNotifier.singleLine(text))
    }

    /// Sends `RELOADING=1` with `MONOTONIC_USEC`, the `CLOCK_MONOTONIC` time at which the reload started.
    ///
    /// Send `ready()` when the reload has finished.
    @discardableResult
    public func reloading() throws(SystemError) -> Bool {
        try send("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
    }

    /// Sends `STOPPING=1`: graceful shutdown has begun.
    @discardableResult
    public func stopping() throws(SystemError) -> Bool {
        try send("STOPPING=1")
    }

    /// Sends `WATCHDOG=1`, the keep-alive ping that `WatchdogSec=` expects at least once per interval.
    @discardableResult
    public func watchdog() throws(SystemError) -> Bool {
        try send("WATCHDOG=1")
    }

    /// Sends `EXTEND_TIMEOUT_USEC`, asking systemd to wait `duration` longer for start-up, a reload or shutdown.
    @discardableResult
    public func extendTimeout(_ duration: Duration) throws(SystemError) -> Bool {
        try send("EXTEND_TIMEOUT_USEC=\(SystemdNotifier.microseconds(duration))")
    }

    /// The watchdog interval systemd expects (`WatchdogSec=`), or nil when no watchdog applies to this process.
    ///
    /// Ping with `watchdog()` at half this interval. The corresponding C function is `sd_watchdog_enabled`,
    /// which reads `WATCHDOG_USEC` and `WATCHDOG_PID` from the environment.
    public var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }

    /// Sends `state`, one `KEY=value` per line, to the socket named by `NOTIFY_SOCKET`.
    ///
    /// - Returns: True when the message was sent, false when `NOTIFY_SOCKET` is not set.
    /// - Throws: `SystemError` when `sd_notify` fails to send.
    @discardableResult
    public func send(_ state: String) throws(SystemError) -> Bool {
        let result = sd_notify(0, state)
        guard result >= 0 else {
            throw SystemError(call: "sd_notify", path: Self.socketPath, errno: Errno(rawValue: -result))
        }
        return result > 0
    }

    private static var socketPath: String? {
        getenv("NOTIFY_SOCKET").map { String(cString: $0) }
    }

    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    private static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    private static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }
}
