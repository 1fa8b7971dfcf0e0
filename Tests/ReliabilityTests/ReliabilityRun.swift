import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sizes and reporting of a reliability run.
///
/// The test suite runs the short sizes. `scripts/reliability` sets `KONTEXTD_RELIABILITY=full` for the
/// full sizes and `KONTEXTD_RELIABILITY_REPORT` to a folder, where each test writes its figures as JSON.
enum ReliabilityRun {
    static let environment = ProcessInfo.processInfo.environment

    static var isFull: Bool { environment["KONTEXTD_RELIABILITY"] == "full" }

    /// Returns the short or full size, or the integer in `KONTEXTD_RELIABILITY_<NAME>` when that is set.
    static func size(_ name: String, short: Int, full: Int) -> Int {
        if let text = environment["KONTEXTD_RELIABILITY_" + name.uppercased()], let value = Int(text), value > 0 {
            return value
        }
        return isFull ? full : short
    }

    /// Prints the figures of one test and writes them to `<report folder>/<name>.json` when a folder is set.
    static func record(_ name: String, _ figures: [String: Any]) {
        var all = figures
        all["test"] = name
        all["full"] = isFull
        guard let data = try? JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]) else { return }
        print("reliability figures: " + String(decoding: data, as: UTF8.self))
        guard let folder = environment["KONTEXTD_RELIABILITY_REPORT"], !folder.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: folder + "/" + name + ".json"))
        try? (tableRow(name, all) + "\n").write(toFile: folder + "/" + name + ".row", atomically: true, encoding: .utf8)
    }

    /// Returns one line of the table that `scripts/reliability` prints, in the order of its header. A figure the test does not measure shows as "-".
    static func tableRow(_ name: String, _ figures: [String: Any]) -> String {
        func cell(_ key: String, _ width: Int) -> String {
            let text = figures[key].map { "\($0)" } ?? "-"
            return text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        }
        let peak = (figures["peak_rss_kib"] ?? figures["peak_rss_kib_last_daemon"]) as? Int
        let peakText = peak.map { String($0 / 1024) } ?? "-"
        return [
            name.padding(toLength: 8, withPad: " ", startingAt: 0), cell("trials", 6), cell("jobs", 5), cell("lost", 4), cell("unfinished", 10),
            cell("duplicated", 10), cell("partial_outputs", 7), cell("originals_lost", 14), cell("leftover_files", 9),
            peakText.padding(toLength: 12, withPad: " ", startingAt: 0), cell("jobs_per_second", 6), cell("seconds", 7),
        ].joined(separator: " | ")
    }

    /// Returns the peak resident set size (`VmHWM`) of a live process in KiB, or nil once it has exited.
    static func peakResidentKiB(of pid: Int32) -> Int? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// Returns every entry below `folder` (files, folders, links, FIFOs), relative to it, without following links.
    static func entries(under folder: String) -> [String] {
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: folder) else { return [] }
        return names.sorted()
    }

    /// Runs a program to completion and returns its exit status; the output goes to /dev/null.
    @discardableResult
    static func runTool(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
