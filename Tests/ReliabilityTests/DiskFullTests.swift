import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full file system under the inbox and state folder: claims and delivery plans cannot be written.
/// RecoveryTests covers a full outbox; this covers the state folder, which shares the inbox's file system.
@Suite(.serialized)
struct DiskFullTests {
    @Test func fullStateFolderPausesIntakeUntilSpaceReturns() async throws {
        guard getuid() == 0 else {
            print("skipped: mounting a tmpfs for the inbox and state folder needs root")
            return
        }
        let daemon = try DaemonHarness(extraConfiguration: "sidecar_grace: 0", settle: 0.05)
        let volume = daemon.root + "/volume"
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        guard ReliabilityRun.runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", volume]) == 0 else {
            print("skipped: mount -t tmpfs failed here")
            return
        }
        defer { ReliabilityRun.runTool("/bin/umount", ["-l", volume]) }
        try moveInboxAndState(of: daemon, to: volume)
        try await daemon.start()

        // The daemon is stopped while the job lands and the file system fills, so its first claim meets
        // a full disk however fast it is.
        kill(daemon.pid, SIGSTOP)
        let ledger = JobLedger()
        try ledger.drop(try TinyJobs.make(.fill, index: 1, folder: "full"), into: daemon)
        let filler = volume + "/filler"
        fillFileSystem(at: filler)
        kill(daemon.pid, SIGCONT)

        // Two scan intervals (2 s each) of failed claims; the job must stay whole in the inbox or its claim.
        try? await Task.sleep(for: .seconds(5))
        let inboxWhileFull = DaemonHarness.files(under: daemon.inbox + "/full")
        let claimsWhileFull = DaemonHarness.files(under: daemon.state + "/processing")
        let outboxWhileFull = DaemonHarness.files(under: daemon.outbox)
        let failedWhileFull = DaemonHarness.files(under: daemon.failed)

        unlink(filler)
        let spaceReturned = Date()
        let finished = await DaemonHarness.waitUntil(timeout: 60) { ledger.finishedCount(daemon) >= 1 }
        // A file whose claim failed is offered again after the monitor's re-offer backoff, so the job
        // resumes within that time rather than at once.
        print("disk full: the job finished \(Int(Date().timeIntervalSince(spaceReturned))) s after space returned")
        #expect(await daemon.stop() == 0)

        #expect(outboxWhileFull == [])
        #expect(failedWhileFull == [])
        let inputsKept = inboxWhileFull.count + claimsWhileFull.filter { !$0.hasSuffix("job.json") }.count
        #expect(inputsKept == 2, "inbox \(inboxWhileFull), claims \(claimsWhileFull)")
        #expect(finished, "\(daemon.log)")
        let verdict = ledger.verify(daemon)
        #expect(verdict.isClean, "\(verdict.problems.joined(separator: "\n"))\n\(daemon.log)")
        #expect(daemon.log.contains("No space left on device"), "\(daemon.log)")
    }

    /// Points the configuration's inbox and state folder at folders on `volume`.
    private func moveInboxAndState(of daemon: DaemonHarness, to volume: String) throws {
        var text = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "inbox: \(daemon.inbox)", with: "inbox: \(volume)/inbox")
        text = text.replacingOccurrences(of: "state: \(daemon.state)", with: "state: \(volume)/state")
        try text.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: daemon.inbox)
        try FileManager.default.removeItem(atPath: daemon.state)
        try FileManager.default.createDirectory(atPath: volume + "/inbox", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: volume + "/state", withIntermediateDirectories: true)
        // The harness reads the inbox and state through its own paths; links make both point at the volume.
        try FileManager.default.createSymbolicLink(atPath: daemon.inbox, withDestinationPath: volume + "/inbox")
        try FileManager.default.createSymbolicLink(atPath: daemon.state, withDestinationPath: volume + "/state")
    }

    /// Writes zeros to `path` until the file system reports ENOSPC.
    private func fillFileSystem(at path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
