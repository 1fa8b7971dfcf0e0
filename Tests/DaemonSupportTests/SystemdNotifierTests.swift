import Testing

@testable import DaemonSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Each test sets `NOTIFY_SOCKET` or `WATCHDOG_*` in the process environment, so they run one at a time.
@Suite(.serialized)
struct SystemdNotifierTests {
    /// Runs `body` with `NOTIFY_SOCKET` pointing at a fresh datagram socket, then removes the variable.
    func withNotifySocket(_ body: (NotifySocket) throws -> Void) throws {
        let socket = try NotifySocket(path: "/tmp/kontextd-notify-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        try body(socket)
    }

    @Test func readySendsStatusLine() throws {
        try withNotifySocket { socket in
            let sent = try SystemdNotifier().ready(status: "Watching 3 folders")

            #expect(sent)
            #expect(socket.receive() == "READY=1\nSTATUS=Watching 3 folders")
        }
    }

    @Test func readyWithoutStatus() throws {
        try withNotifySocket { socket in
            try SystemdNotifier().ready()

            #expect(socket.receive() == "READY=1")
        }
    }

    @Test func statusReplacesNewlines() throws {
        try withNotifySocket { socket in
            try SystemdNotifier().status("2 jobs running\n1 queued")

            #expect(socket.receive() == "STATUS=2 jobs running 1 queued")
        }
    }

    @Test func simpleStatesSendExactMessages() throws {
        try withNotifySocket { socket in
            let notifier = SystemdNotifier()

            try notifier.stopping()
            try notifier.watchdog()
            try notifier.extendTimeout(.seconds(90))
            try notifier.extendTimeout(.milliseconds(1500))

            #expect(socket.receive() == "STOPPING=1")
            #expect(socket.receive() == "WATCHDOG=1")
            #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=90000000")
            #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=1500000")
        }
    }

    @Test func reloadingSendsMonotonicTime() throws {
        try withNotifySocket { socket in
            let before = monotonicMicroseconds()
            try SystemdNotifier().reloading()
            let after = monotonicMicroseconds()

            let message = try #require(socket.receive())
            let lines = message.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first == "RELOADING=1")
            let stamp = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
            #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
            #expect(stamp >= before)
            #expect(stamp <= after)
        }
    }

    @Test func withoutNotifySocketNothingIsSent() throws {
        unsetenv("NOTIFY_SOCKET")

        let sent = try SystemdNotifier().ready(status: "outside systemd")

        #expect(!sent)
    }

    @Test func missingSocketFileThrows() {
        let path = "/tmp/kontextd-no-such-socket-\(getpid())"
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }

        let error = #expect(throws: SystemError.self) { try SystemdNotifier().watchdog() }

        #expect(error?.call == "sd_notify")
        #expect(error?.errno == .noEntry)
        #expect(error?.description == "sd_notify '\(path)' failed: No such file or directory (ENOENT)")
    }

    @Test func watchdogIntervalFromEnvironment() {
        setenv("WATCHDOG_USEC", "30000000", 1)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }

        #expect(SystemdNotifier().watchdogInterval == .seconds(30))
    }

    @Test func watchdogForAnotherProcessIsIgnored() {
        setenv("WATCHDOG_USEC", "30000000", 1)
        setenv("WATCHDOG_PID", "\(getpid() + 1)", 1)
        defer {
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }

        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    @Test func watchdogIntervalAbsentWithoutEnvironment() {
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")

        #expect(SystemdNotifier().watchdogInterval == nil)
    }

    private func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
