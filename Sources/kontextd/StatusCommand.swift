import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Recipes

/// `kontextd status`: what the running daemon last wrote to its status file.
struct StatusCommand {
    var configPath: String?
    var json: Bool

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        let parsed = try ParsedArguments(arguments, command: "status", valued: ["--config"], flags: ["--json"])
        configPath = parsed.options["--config"]
        json = parsed.flags.contains("--json")
    }

    func run() throws -> Int32 {
        let configuration = try ConfigurationLoader.loadDaemonConfiguration(explicitPath: configPath)
        guard let data = FileManager.default.contents(atPath: configuration.statusFile) else {
            printError("kontextd status: no status file at '\(configuration.statusFile)'; is the daemon running (systemctl status kontextd)?")
            return 3
        }
        let report = try StatusReport.makeDecoder().decode(StatusReport.self, from: data)
        let running = kill(report.pid, 0) == 0 || errno == EPERM
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else if running {
            print(Self.render(report, now: Date()))
        } else {
            printError(
                "kontextd status: the daemon is not running; the status file '\(configuration.statusFile)' was last "
                    + "written by pid \(report.pid) at \(ISO8601DateFormatter().string(from: report.updatedAt))"
            )
        }
        // 3 is the LSB "program is not running" status, as `systemctl status` uses it.
        return running ? 0 : 3
    }

    static func render(_ report: StatusReport, now: Date) -> String {
        let age = Int(now.timeIntervalSince(report.updatedAt))
        var lines = [
            "kontextd (pid \(report.pid)) \(report.state), status written \(age) s ago",
            "queued \(report.queued), running \(report.running.count), retrying \(report.retrying), "
                + "succeeded \(report.succeeded), failed \(report.failed), rejected \(report.rejected)",
        ]
        if age > 10 {
            lines.append("warning: the status is \(age) s old; the daemon may have stopped")
        }
        for job in report.running {
            let progress = job.progress.map { ", \($0)" } ?? ""
            lines.append("  running \(job.job) \(job.watch): \(job.image) for \(Int(now.timeIntervalSince(job.since))) s\(progress)")
        }
        for watch in report.watches {
            var line = "  watch \(watch.name) \(watch.inbox): \(watch.queued) queued, \(watch.overflows) overflows"
            if !watch.polledSubtrees.isEmpty {
                line += ", polled: " + watch.polledSubtrees.map { $0.isEmpty ? "(whole inbox)" : $0 }.joined(separator: ", ")
            }
            lines.append(line)
        }
        if !report.recentFailures.isEmpty {
            lines.append("recent failures:")
            for failure in report.recentFailures.suffix(10) {
                lines.append("  \(failure.job) \(failure.watch)/\(failure.folder) \(failure.image): \(failure.reason)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
