import DaemonSupport
import Foundation
import Imaging

/// One job dropped into an inbox, with the outcome it must reach.
struct LedgerJob: Sendable {
    enum Outcome: Sendable, Equatable {
        /// Exactly one output of this size and one job log in the outbox, originals kept beside them.
        case delivered(width: Int, height: Int)
        /// Exactly one error report whose text contains `reason`, with the job's files beside it.
        case failed(reason: String)
    }

    /// Inbox-relative folder, "" for the inbox root.
    var folder: String
    var imageName: String
    var image: Data
    var sidecarName: String?
    var sidecar: Data?
    var outcome: Outcome

    var stem: String { (imageName as NSString).deletingPathExtension }
    var prefix: String { folder.isEmpty ? "" : folder + "/" }
}

/// Counts of what a verification found; every count but `jobs` must be zero.
struct LedgerVerdict: Sendable {
    var jobs = 0
    var lost = 0
    /// Jobs still claimed when the run ended: not lost, but not finished in time either.
    var unfinished = 0
    var duplicated = 0
    var partial = 0
    var originalsLost = 0
    var wrongOutcome = 0
    var leftovers = 0
    /// One line per problem, naming the job or file.
    var problems: [String] = []

    var isClean: Bool { problems.isEmpty }

    var figures: [String: Any] {
        [
            "jobs": jobs, "lost": lost, "unfinished": unfinished, "duplicated": duplicated, "partial_outputs": partial,
            "originals_lost": originalsLost, "wrong_outcome": wrongOutcome, "leftover_files": leftovers,
        ]
    }
}

/// The jobs of a run and the checks that each ended exactly once, whole, with its originals kept.
final class JobLedger: @unchecked Sendable {
    // NOTE: @unchecked because the ledger is only used from the test that owns it.
    private(set) var jobs: [LedgerJob] = []

    /// Drops the sidecar first and the image last, each through a temporary name, as a careful uploader does.
    func drop(_ job: LedgerJob, into daemon: DaemonHarness) throws {
        if let sidecarName = job.sidecarName, let sidecar = job.sidecar {
            try daemon.drop(data: sidecar, as: sidecarName, folder: job.folder)
        }
        try daemon.drop(data: job.image, as: job.imageName, folder: job.folder)
        jobs.append(job)
    }

    /// Adds a job that the test placed by other means, such as a claim folder built by hand.
    func record(_ job: LedgerJob) {
        jobs.append(job)
    }

    /// Returns the number of jobs that have a job log in the outbox or an error report in the failed folder.
    func finishedCount(_ daemon: DaemonHarness) -> Int {
        let outbox = DaemonHarness.files(under: daemon.outbox).filter { $0.hasSuffix(".job.json") && !$0.contains("/originals/") }
        let failed = DaemonHarness.files(under: daemon.failed).filter { $0.hasSuffix(".error.txt") }
        return outbox.count + failed.count
    }

    /// Checks every job and every folder of the watch.
    func verify(_ daemon: DaemonHarness) -> LedgerVerdict {
        var verdict = LedgerVerdict(jobs: jobs.count)
        let outbox = DaemonHarness.files(under: daemon.outbox)
        let failed = DaemonHarness.files(under: daemon.failed)
        // Grouped by top folder, so a run of 10,000 jobs does not scan every file once per job.
        let outboxByFolder = Dictionary(grouping: outbox, by: Self.topFolder)
        let failedByFolder = Dictionary(grouping: failed, by: Self.topFolder)
        let claimed = Set(ReliabilityRun.entries(under: daemon.state + "/processing").map { ($0 as NSString).lastPathComponent })
        for job in jobs {
            // A job in the inbox root is checked against every file, because its originals lie in `originals/`.
            guard let key = job.folder.split(separator: "/").first.map(String.init) else {
                verify(job, outbox: outbox, failed: failed, claimed: claimed, daemon: daemon, into: &verdict)
                continue
            }
            verify(job, outbox: outboxByFolder[key] ?? [], failed: failedByFolder[key] ?? [], claimed: claimed, daemon: daemon, into: &verdict)
        }
        checkLeftovers(daemon, failed: failed, into: &verdict)
        return verdict
    }

    private func verify(
        _ job: LedgerJob,
        outbox: [String],
        failed: [String],
        claimed: Set<String>,
        daemon: DaemonHarness,
        into verdict: inout LedgerVerdict
    ) {
        let logs = outbox.filter { Self.matches($0, job.prefix, job.stem, suffix: ".job.json") }
        let outputs = outbox.filter { Self.matches($0, job.prefix, job.stem + "-edited", suffix: nil) }
        let reports = failed.filter { $0.hasPrefix(job.prefix) && $0.hasSuffix("/" + job.imageName + ".error.txt") }
        let runs = logs.count + reports.count
        if runs == 0 && claimed.contains(job.imageName) {
            verdict.unfinished += 1
            verdict.problems.append("\(job.prefix)\(job.imageName): unfinished (still claimed in the state folder)")
            return
        }
        if runs == 0 {
            verdict.lost += 1
            verdict.problems.append("\(job.prefix)\(job.imageName): lost (no job log, no error report)")
            return
        }
        if runs > 1 || outputs.count > 1 {
            verdict.duplicated += 1
            verdict.problems.append("\(job.prefix)\(job.imageName): ran \(runs) times: \(logs + reports + outputs)")
        }
        switch job.outcome {
        case .delivered(let width, let height):
            guard reports.isEmpty, let output = outputs.first else {
                verdict.wrongOutcome += 1
                let report = reports.first.map { (try? String(contentsOfFile: daemon.failed + "/" + $0, encoding: .utf8)) ?? $0 }
                verdict.problems.append("\(job.prefix)\(job.imageName): expected an output, found \(report ?? "none")")
                return
            }
            checkOutput(daemon.outbox + "/" + output, width: width, height: height, logs: logs.map { daemon.outbox + "/" + $0 }, into: &verdict)
            checkOriginals(job, in: daemon.outbox, candidates: outbox.filter { $0.hasPrefix(job.prefix + "originals/") }, into: &verdict)
        case .failed(let reason):
            guard let report = reports.first else {
                verdict.wrongOutcome += 1
                verdict.problems.append("\(job.prefix)\(job.imageName): expected a failure, found \(outputs)")
                return
            }
            let text = (try? String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)) ?? ""
            if !text.contains(reason) {
                verdict.wrongOutcome += 1
                verdict.problems.append("\(report): reason does not contain '\(reason)':\n\(text)")
            }
            let folder = (report as NSString).deletingLastPathComponent + "/"
            checkOriginals(job, in: daemon.failed, candidates: failed.filter { $0.hasPrefix(folder) }, into: &verdict)
        }
    }

    private static func topFolder(_ path: String) -> String {
        path.contains("/") ? String(path.prefix { $0 != "/" }) : ""
    }

    /// True for `<prefix><stem>.json`-like names and their `-2`, `-3` duplicates in the job's outbox folder.
    private static func matches(_ path: String, _ prefix: String, _ stem: String, suffix: String?) -> Bool {
        guard path.hasPrefix(prefix + stem) else { return false }
        var rest = path.dropFirst(prefix.count + stem.count)
        if let suffix {
            guard rest.hasSuffix(suffix) else { return false }
            rest = rest.dropLast(suffix.count)
        } else {
            guard let dot = rest.lastIndex(of: ".") else { return false }
            rest = rest[..<dot]
        }
        if rest.isEmpty { return true }
        return rest.first == "-" && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1
    }

    /// Decodes the output to its last row and parses every job log, so a truncated file counts as partial.
    private func checkOutput(_ path: String, width: Int, height: Int, logs: [String], into verdict: inout LedgerVerdict) {
        do {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let image = try ImageDecoder.decode(bytes).image
            if image.width != width || image.height != height {
                verdict.partial += 1
                verdict.problems.append("\(path): \(image.width)x\(image.height), expected \(width)x\(height)")
            }
        } catch {
            verdict.partial += 1
            verdict.problems.append("\(path): does not decode: \(error)")
        }
        for log in logs {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: log))) ?? Data()
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if object?["outcome"] as? String != "succeeded" {
                verdict.partial += 1
                verdict.problems.append("\(log): not a complete job log with outcome 'succeeded'")
            }
        }
    }

    /// Checks that the image and sidecar exist once below `root`, byte for byte as dropped.
    private func checkOriginals(_ job: LedgerJob, in root: String, candidates: [String], into verdict: inout LedgerVerdict) {
        var expected = [(job.imageName, job.image)]
        if let name = job.sidecarName, let bytes = job.sidecar { expected.append((name, bytes)) }
        for (name, bytes) in expected {
            let copies = candidates.filter { $0.hasSuffix("/" + name) }
            let intact = copies.filter { (try? Data(contentsOf: URL(fileURLWithPath: root + "/" + $0))) == bytes }
            if copies.count != 1 || intact.count != 1 {
                verdict.originalsLost += 1
                verdict.problems.append("\(job.prefix)\(name): \(copies.count) copies kept, \(intact.count) intact (expected 1)")
            }
        }
    }

    /// Finds temporary files, claims that remain, files left in the inbox and rejected files.
    private func checkLeftovers(_ daemon: DaemonHarness, failed: [String], into verdict: inout LedgerVerdict) {
        var leftovers: [String] = []
        leftovers += ReliabilityRun.entries(under: daemon.state + "/processing").map { "state/processing/" + $0 }
        leftovers += DaemonHarness.files(under: daemon.inbox).map { "inbox/" + $0 }
        leftovers += DaemonHarness.files(under: daemon.outbox).filter { $0.contains(".tmp") }.map { "outbox/" + $0 }
        leftovers += failed.filter { $0.contains(".tmp") || $0.contains("rejected-") }.map { "failed/" + $0 }
        verdict.leftovers = leftovers.count
        verdict.problems += leftovers.map { "left over: \($0)" }
    }
}
