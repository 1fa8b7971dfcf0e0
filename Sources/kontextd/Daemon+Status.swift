import DaemonSupport
import EditPipeline
import Foundation
import HotFolder
import Recipes
import Synchronization

extension Daemon {
    /// The systemd status line, as `systemctl status` shows it.
    var statusLine: String {
        let (running, succeeded, failed, progress) = statistics.withLock { statistics in
            let oldest = statistics.running.values.filter { $0.progress != nil }.min { $0.since < $1.since }
            return (statistics.running.count, statistics.succeeded, statistics.failed, oldest?.progress)
        }
        let line = "queue \(queue.count), running \(running), done \(succeeded), failed \(failed)"
        return progress.map { line + ", \($0)" } ?? line
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
                notify { try notifier.status(line) }
                lastLine = line
            }
            if let watchdogPeriod, ContinuousClock.now - lastWatchdog >= watchdogPeriod {
                notify { try notifier.watchdog() }
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
            queued: snapshot.pending.count,
            running: snapshot.running.values.sorted { $0.since < $1.since },
            retrying: snapshot.retrying,
            succeeded: snapshot.succeeded,
            failed: snapshot.failed,
            rejected: snapshot.rejected,
            recentFailures: snapshot.recentFailures,
            watches: watches.map { watch in
                StatusReport.Watch(
                    name: watch.folders.name,
                    inbox: watch.folders.inbox,
                    queued: snapshot.pending.filter { $0.hasPrefix(watch.folders.inbox + "/") }.count,
                    overflows: watch.monitor.overflowCount,
                    polledSubtrees: watch.monitor.polledSubtrees.sorted()
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
