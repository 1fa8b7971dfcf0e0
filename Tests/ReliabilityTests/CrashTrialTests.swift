import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGKILL at random and at aimed moments, restart, and check that every job ended exactly once.
///
/// Each trial drops a few jobs into a new hot folder, starts `kontextd run`, kills it with SIGKILL and
/// restarts it in the next trial, so jobs pile up and every kill lands among claims, writes, renames
/// and retries. After the last trial one daemon runs until every job has finished. Then the ledger
/// checks the outbox, the failed folder, the originals and the state folder.
@Suite(.serialized)
struct CrashTrialTests {
    /// What a trial waits for before it kills the daemon.
    enum KillPoint: String, CaseIterable {
        /// A random delay after the start, up to 0.8 s.
        case random
        /// Within 50 ms of the start, while claims of the previous daemon are being recovered.
        case startup
        /// A claim folder exists in `state/processing`.
        case claim
        /// A temporary output file exists in the outbox.
        case write
        /// A claim folder contains a delivery plan, so phase two (the renames) is under way.
        case rename
        /// A job is waiting for its retry.
        case retry
    }

    @Test func sigkillAtRandomAndAimedMoments() async throws {
        let trials = ReliabilityRun.size("trials", short: 20, full: 200)
        let daemon = try DaemonHarness(extraConfiguration: TinyJobs.offlineBackendConfiguration, settle: 0.05)
        let ledger = JobLedger()
        var generator = SystemRandomNumberGenerator()
        var kills: [KillPoint: Int] = [:]
        var aimedHits = 0
        var recoveredClaims = 0
        let started = Date()

        for trial in 0..<trials {
            let folder = String(format: "t%04d", trial)
            for slot in 0..<3 {
                let index = trial * 3 + slot
                // One job in five trials waits for retries, which keeps a retry in flight for most kills.
                let kind: TinyJobs.Kind = slot == 2 && trial % 5 == 0 ? .retryExhausted : [.fill, .ingest, .resize][slot]
                try ledger.drop(try TinyJobs.make(kind, index: index, folder: folder), into: daemon)
            }
            let point = KillPoint.allCases[trial % KillPoint.allCases.count]
            try await daemon.start(waitForStartup: false)
            if await waitForKillPoint(point, daemon: daemon, folder: folder, generator: &generator) { aimedHits += 1 }
            daemon.kill9()
            kills[point, default: 0] += 1
            recoveredClaims += daemon.log.components(separatedBy: "Claim recovered").count - 1
        }

        try await daemon.start()
        let drained = await DaemonHarness.waitUntil(timeout: Double(60 + trials * 2)) {
            ledger.finishedCount(daemon) >= ledger.jobs.count
        }
        // One more scan interval, so a job that ran twice has time to show its second result.
        try? await Task.sleep(for: .seconds(2.5))
        let peak = ReliabilityRun.peakResidentKiB(of: daemon.pid) ?? 0
        #expect(await daemon.stop() == 0)
        #expect(drained, "jobs finished: \(ledger.finishedCount(daemon)) of \(ledger.jobs.count)\n\(daemon.log)")

        let verdict = ledger.verify(daemon)
        var figures = verdict.figures
        figures["trials"] = trials
        figures["aimed_kills_on_target"] = aimedHits
        figures["kills_by_point"] = Dictionary(uniqueKeysWithValues: kills.map { ($0.key.rawValue, $0.value) })
        figures["claims_recovered"] = recoveredClaims
        figures["seconds"] = Int(Date().timeIntervalSince(started))
        figures["peak_rss_kib_last_daemon"] = peak
        ReliabilityRun.record("crash", figures)

        #expect(verdict.lost == 0)
        #expect(verdict.duplicated == 0)
        #expect(verdict.partial == 0)
        #expect(verdict.originalsLost == 0)
        #expect(verdict.wrongOutcome == 0)
        #expect(verdict.leftovers == 0)
        #expect(verdict.isClean, "\(verdict.problems.joined(separator: "\n"))")
        // The aimed points must be reached in most trials, or the run did not test what it claims.
        #expect(aimedHits * 2 >= trials, "aimed kills on target: \(aimedHits) of \(trials)")
    }

    /// Polls every millisecond for the kill point; returns whether it was reached before the time limit.
    private func waitForKillPoint(
        _ point: KillPoint,
        daemon: DaemonHarness,
        folder: String,
        generator: inout SystemRandomNumberGenerator
    ) async -> Bool {
        switch point {
        case .random:
            try? await Task.sleep(for: .milliseconds(Int.random(in: 0...800, using: &generator)))
            return true
        case .startup:
            try? await Task.sleep(for: .milliseconds(Int.random(in: 0...50, using: &generator)))
            return true
        case .claim, .write, .rename, .retry:
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline {
                if reached(point, daemon: daemon, folder: folder) { return true }
                try? await Task.sleep(for: .milliseconds(1))
            }
            return false
        }
    }

    private func reached(_ point: KillPoint, daemon: DaemonHarness, folder: String) -> Bool {
        let processing = daemon.state + "/processing"
        let claims = (try? FileManager.default.contentsOfDirectory(atPath: processing)) ?? []
        switch point {
        case .claim:
            return !claims.isEmpty
        case .write:
            let outputs = (try? FileManager.default.contentsOfDirectory(atPath: daemon.outbox + "/" + folder)) ?? []
            return outputs.contains { $0.hasSuffix(".tmp") }
        case .rename:
            return claims.contains { FileManager.default.fileExists(atPath: processing + "/" + $0 + "/delivery.json") }
        case .retry:
            return daemon.log.contains("Job retry scheduled")
        case .random, .startup:
            return true
        }
    }
}
