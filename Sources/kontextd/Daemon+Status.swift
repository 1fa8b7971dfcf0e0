import DaemonSupport
import Foundation
import HotFolder

extension Daemon {
    /// The systemd status line, as `systemctl status` shows it.
    var statusLine: String {
        let (running, succeeded, failed) = statistics.withLock { ($0.running.count, $0.succeeded, $0.failed) }
        return "queue \(queue.count), running \(running), done \(succeeded), failed \(failed)"
    }

    /// Rewrites the status file and the systemd status every second, and feeds the watchdog.
    func runStatusLoop() async {
        var lastLine = ""
        var lastWatchdog = ContinuousClock.now
        let watchdogPeriod = notifier.watchdogInterval.map { $0 / 2 }
        while !Task.isCancelled {
            writeStatus()
            let line = statusLine
            if line != lastLine {
                notifier.status(line)
                lastLine = line
            }
            if let watchdogPeriod, ContinuousClock.now - lastWatchdog >= watchdogPeriod {
                notifier.watchdog()
                lastWatchdog = ContinuousClock.now
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func writeStatus(state: String = "running") {
        let snapshot = statistics.withLock { $0 }
        let report = StatusReport(
            pid: getpid(),
            startedAt: startedAt,
            updatedAt: Date(),
            state: queue.isClosed ? "stopping" : state,
            queued: queue.count,
            running: snapshot.running.values.sorted { $0.since < $1.since },
            retrying: snapshot.retrying,
            succeeded: snapshot.succeeded,
            failed: snapshot.failed,
            rejected: snapshot.rejected,
            recentFailures: snapshot.recentFailures,
            watches: watches.map {
                StatusReport.Watch(
                    name: $0.folders.name,
                    inbox: $0.folders.inbox,
                    queued: snapshot.pending.filter { key in key.hasPrefix($0.folders.inbox + "/") }.count,
                    overflows: $0.monitor.overflowCount,
                    polledSubtrees: $0.monitor.polledSubtrees.sorted()
                )
            }
        )
        guard let data = try? StatusReport.makeEncoder().encode(report) else { return }
        let path = configuration.statusFile
        let temporary = path + ".tmp"
        if FileManager.default.createFile(atPath: temporary, contents: data) {
            rename(temporary, path)
        }
    }
}
