import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// States that a SIGKILL leaves inside one step, built by hand because a random kill rarely lands in
/// a window of a few microseconds. Each test starts the daemon on such a state and checks the end.
@Suite(.serialized)
struct CrashStateTests {
    /// Writes `state/processing/<id>/job.json` for a claim whose owner ran on another boot, so the
    /// daemon treats the claim as stale and adopts it.
    private func writeStaleClaim(id: String, daemon: DaemonHarness, files: [(role: String, name: String)]) throws -> String {
        let folder = daemon.state + "/processing/" + id
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let record: [String: Any] = [
            "id": id, "inbox": daemon.inbox, "folder": "",
            "files": files.map { ["role": $0.role, "original": $0.name, "claimed": $0.name, "linked": false] },
            "imageIdentity": ["size": 0, "modificationTime": 0, "inode": 0],
            "claimedAt": "2026-01-01T00:00:00.000Z", "attempt": 1,
            "ownerHost": ProcessInfo.processInfo.hostName, "ownerPID": 1, "ownerStartTime": 1,
            "bootID": "00000000-0000-0000-0000-000000000000",
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: folder + "/job.json"))
        return folder
    }

    /// The claim renames the image first and the sidecar next; a kill between the two renames leaves
    /// the sidecar in the inbox. After a restart the job must still run with its sidecar.
    @Test func claimCutBetweenImageAndSidecar() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0", settle: 0.05)
        let ledger = JobLedger()
        let job = try TinyJobs.make(.resize, index: 1, folder: "")
        let claim = try writeStaleClaim(
            id: "20260101T000000.000Z-0000abcd", daemon: daemon,
            files: [("image", job.imageName), ("sidecar", try #require(job.sidecarName))]
        )
        try job.image.write(to: URL(fileURLWithPath: claim + "/" + job.imageName))
        try daemon.drop(data: try #require(job.sidecar), as: try #require(job.sidecarName))
        ledger.record(job)

        try await daemon.start()
        // The sidecar alone in the inbox would fail as an orphan after orphan_timeout (5 s), so wait past it.
        #expect(await DaemonHarness.waitUntil(timeout: 30) { ledger.finishedCount(daemon) >= 1 }, "\(daemon.log)")
        try? await Task.sleep(for: .seconds(6))
        #expect(await daemon.stop() == 0)

        let verdict = ledger.verify(daemon)
        #expect(verdict.wrongOutcome == 0)
        #expect(verdict.leftovers == 0)
        #expect(verdict.isClean, "\(verdict.problems.joined(separator: "\n"))\n\(daemon.log)")
    }

    /// A failure delivery writes its report under a hidden name, then moves the job's files one by
    /// one, so a kill halfway leaves the image in the failed folder and the sidecar in the claim. The job must end in the failed folder whole, with
    /// its first reason.
    @Test func failureDeliveryCutHalfway() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0", settle: 0.05)
        let ledger = JobLedger()
        var job = try TinyJobs.make(.resize, index: 2, folder: "")
        job.sidecar = Data("steps: 500\n".utf8)
        job.outcome = .failed(reason: "invalid value '500' for 'steps'")
        let id = "20260101T000000.000Z-0000beef"
        let sidecarName = try #require(job.sidecarName)
        let claim = try writeStaleClaim(id: id, daemon: daemon, files: [("image", job.imageName), ("sidecar", sidecarName)])
        try job.sidecar?.write(to: URL(fileURLWithPath: claim + "/" + sidecarName))
        let failedFolder = daemon.failed + "/" + id
        try FileManager.default.createDirectory(atPath: failedFolder, withIntermediateDirectories: true)
        try job.image.write(to: URL(fileURLWithPath: failedFolder + "/" + job.imageName))
        let report = "kontextd could not process this job.\n\nWhat failed:\nj00002.yaml:1:8: error: invalid value '500' for 'steps'\n"
        try report.write(toFile: failedFolder + "/.kontextd-report-" + job.imageName + ".error.txt.pending", atomically: true, encoding: .utf8)
        ledger.record(job)

        try await daemon.start()
        #expect(await DaemonHarness.waitUntil(timeout: 30) {
            ReliabilityRun.entries(under: daemon.state + "/processing").isEmpty
        }, "\(daemon.log)")
        #expect(await daemon.stop() == 0)

        let verdict = ledger.verify(daemon)
        #expect(verdict.wrongOutcome == 0)
        #expect(verdict.originalsLost == 0)
        #expect(verdict.isClean, "\(verdict.problems.joined(separator: "\n"))\n\(daemon.log)")
    }

    /// A finished job's claim folder is renamed to `.retired-<id>` and then removed file by file. A kill
    /// during the removal leaves `job.json` without the delivery plan. The job must not run again.
    @Test func claimCutDuringRemoval() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0", settle: 0.05)
        let claim = try writeStaleClaim(id: "20260101T000000.000Z-0000f00d", daemon: daemon, files: [("image", "j00003.png")])
        let retired = daemon.state + "/processing/.retired-20260101T000000.000Z-0000f00d"
        try FileManager.default.moveItem(atPath: claim, toPath: retired)

        try await daemon.start()
        #expect(await DaemonHarness.waitUntil(timeout: 10) {
            ReliabilityRun.entries(under: daemon.state + "/processing").isEmpty
        }, "\(daemon.log)")
        try? await Task.sleep(for: .seconds(1))
        #expect(await daemon.stop() == 0)
        #expect(ReliabilityRun.entries(under: daemon.state + "/processing") == [])
        #expect(DaemonHarness.files(under: daemon.failed) == [])
        #expect(DaemonHarness.files(under: daemon.outbox) == [])
    }

    /// `job.json` is written to `.job.json.tmp`, flushed and renamed. A kill before the rename leaves a
    /// claim folder without a record and without inputs. Recovery must remove it.
    @Test func claimCutBeforeRecordRename() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0", settle: 0.05)
        let folder = daemon.state + "/processing/20260101T000000.000Z-0000cafe"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("{\"id\": \"20260101T".utf8).write(to: URL(fileURLWithPath: folder + "/.job.json.tmp"))
        // The folder must look old: a fresh one may belong to a live daemon that is claiming right now.
        var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 0), timespec(tv_sec: 1_700_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, folder, &times, 0) == 0)

        try await daemon.start()
        #expect(await DaemonHarness.waitUntil(timeout: 10) {
            ReliabilityRun.entries(under: daemon.state + "/processing").isEmpty
        }, "\(daemon.log)")
        #expect(await daemon.stop() == 0)
        #expect(ReliabilityRun.entries(under: daemon.state + "/processing") == [])
    }
}
