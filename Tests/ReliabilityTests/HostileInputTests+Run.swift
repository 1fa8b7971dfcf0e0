import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension HostileInputTests {
    /// What one case led to, read back from the folders.
    struct Observation {
        var outcome: String
        /// The number of error reports.
        var reports = 0
        /// Entries still in the case's inbox folder.
        var left: [String] = []
        /// The lines under "What failed:" of the first error report, or "".
        var reason: String
        var report: String
    }

    /// The daemon's peak memory must stay far below what a bomb would allocate when decoded (30000 x 30000
    /// RGB is 2.7 GB); 512 MiB leaves room for the runtime and two workers on tiny images.
    static let peakMemoryLimitKiB = 512 * 1024

    @Test func hostileCorpusFailsOrIsIgnoredPerCase() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0\nmax_megapixels: 10", settle: 0.05)
        let outside = daemon.root + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let realPNG = Data(try HostileBytes.validPNG())
        try realPNG.write(to: URL(fileURLWithPath: outside + "/real.png"))
        try Data("prompt: secret outside the inbox\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret.yaml"))
        try await daemon.start()

        var fileCount = 0
        let corpus = Self.corpus
        for (index, hostile) in corpus.enumerated() {
            let folder = daemon.inbox + "/" + Self.folderName(index, hostile)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            fileCount += try hostile.build(folder, outside)
        }
        // Orphans and partners wait up to orphan_timeout (5 s); give every case time past that.
        try? await Task.sleep(for: .seconds(9))
        let liveness = daemon.inbox + "/zz-liveness"
        try FileManager.default.createDirectory(atPath: liveness, withIntermediateDirectories: false)
        try HostileFiles.put(try HostileBytes.validPNG(), "alive.png", in: liveness)
        let alive = await DaemonHarness.waitUntil(timeout: 30) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/zz-liveness/alive.job.json")
        }
        let peak = ReliabilityRun.peakResidentKiB(of: daemon.pid) ?? Int.max
        let running = kill(daemon.pid, 0) == 0
        #expect(await daemon.stop() == 0)

        var table: [String] = []
        var mismatches = 0
        for (index, hostile) in corpus.enumerated() {
            let seen = observe(Self.folderName(index, hostile), daemon: daemon)
            table.append("\(hostile.slug) | \(seen.outcome) | \(seen.reason)")
            if !matches(hostile.expectation, seen) {
                mismatches += 1
                Issue.record("\(hostile.slug): expected \(hostile.expectation), found \(seen.outcome), left \(seen.left)\n\(seen.report)")
            }
        }
        print(table.joined(separator: "\n"))
        ReliabilityRun.record("hostile", [
            // The table's jobs column shows the files dropped.
            "cases": corpus.count, "files": fileCount, "jobs": fileCount, "mismatches": mismatches, "peak_rss_kib": peak,
            "daemon_stayed_up": running && alive,
        ])

        #expect(fileCount >= 60)
        #expect(running)
        #expect(alive, "\(daemon.log)")
        #expect(peak < Self.peakMemoryLimitKiB)
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside + "/real.png")) == realPNG)
        #expect(FileManager.default.fileExists(atPath: outside + "/secret.yaml"))
        #expect(!FileManager.default.fileExists(atPath: "pwned"))
        // A newline in a file name must not start a forged line in the daemon's log.
        #expect(!daemon.log.split(separator: "\n").contains { $0.hasPrefix("break") }, "\(daemon.log)")
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
    }

    static func folderName(_ index: Int, _ hostile: HostileCase) -> String {
        String(format: "c%02d-", index) + hostile.slug
    }

    private func observe(_ folder: String, daemon: DaemonHarness) -> Observation {
        var seen = classify(folder, daemon: daemon)
        seen.left = ReliabilityRun.entries(under: daemon.inbox + "/" + folder)
        return seen
    }

    private func classify(_ folder: String, daemon: DaemonHarness) -> Observation {
        let reports = DaemonHarness.files(under: daemon.failed + "/" + folder).filter { $0.hasSuffix(".error.txt") }
        if !reports.isEmpty {
            let texts = reports.map { (try? String(contentsOfFile: daemon.failed + "/" + folder + "/" + $0, encoding: .utf8)) ?? "" }
            let reasons = texts.map { text in
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                return lines.drop { !$0.hasPrefix("What failed:") }.dropFirst().prefix { !$0.isEmpty }.joined(separator: " ")
            }
            return Observation(
                outcome: reports.count == 1 ? "failed" : "failed \(reports.count) times", reports: reports.count,
                reason: reasons.joined(separator: " / "), report: texts.joined(separator: "\n")
            )
        }
        let logs = DaemonHarness.files(under: daemon.outbox + "/" + folder).filter { $0.hasSuffix(".job.json") }
        if !logs.isEmpty {
            return Observation(outcome: logs.count == 1 ? "delivered" : "delivered \(logs.count) times", reason: "", report: "")
        }
        let left = ReliabilityRun.entries(under: daemon.inbox + "/" + folder)
        return Observation(outcome: left.isEmpty ? "vanished" : "ignored", reason: left.joined(separator: ","), report: "")
    }

    private func matches(_ expectation: HostileCase.Expectation, _ seen: Observation) -> Bool {
        switch expectation {
        // A failed case must take all its files along, so none is left in the inbox to fail again.
        case .failed(let phrase, let reports): reports.contains(seen.reports) && seen.report.contains(phrase) && seen.left.isEmpty
        case .ignored: seen.outcome == "ignored"
        case .delivered: seen.outcome == "delivered"
        }
    }
}
