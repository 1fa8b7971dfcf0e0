import Foundation
import Imaging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Crashes, restarts, full disks and files that change while a job runs.
@Suite(.serialized)
struct RecoveryTests {
    private func dropRemovalJob(_ daemon: DaemonHarness, photo: String, as stem: String) throws {
        try daemon.drop(text: "mask:\n  - ellipse: [1280, 800, 260, 180]\nbackend: fill\n", as: stem + ".yaml")
        try daemon.drop(photo: photo, as: stem + ".jpg")
    }

    @Test func killedDaemonFinishesEveryJobOnce() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let photos = ["autumn.jpg", "bythewater.jpg", "colorfulcups.jpg", "kite.jpg", "path.jpg"]
        for (index, photo) in photos.enumerated() {
            try dropRemovalJob(daemon, photo: photo, as: "job\(index)")
        }
        // Kill as soon as the first claim exists, so jobs are mid-flight. On a loaded machine the poll may
        // miss the moment; the exactly-once checks below hold wherever the kill lands.
        _ = await DaemonHarness.waitUntil(timeout: 30) {
            !DaemonHarness.files(under: daemon.state + "/processing").isEmpty
        }
        daemon.kill9()

        try await daemon.start()
        #expect(await DaemonHarness.waitUntil(timeout: 180) {
            DaemonHarness.files(under: daemon.outbox).filter { $0.hasSuffix(".job.json") }.count >= photos.count
        }, "\(daemon.log)")
        #expect(await daemon.stop() == 0)

        let outbox = DaemonHarness.files(under: daemon.outbox)
        for index in photos.indices {
            #expect(outbox.filter { $0 == "job\(index)-edited.jpg" }.count == 1)
            #expect(outbox.filter { $0.hasSuffix("/job\(index).jpg") }.count == 1, "original of job\(index)")
        }
        #expect(!outbox.contains { $0.contains("-edited-2") })
        #expect(!outbox.contains { $0.hasSuffix(".tmp") })
        #expect(DaemonHarness.files(under: daemon.inbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
    }

    @Test func sigtermReturnsUnfinishedJobsToInbox() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "stop_timeout: 1")
        try await daemon.start()
        let bigMask = "mask:\n  - rect: [400, 300, 1700, 1000]\nbackend: fill\n"
        try daemon.drop(text: bigMask, as: "large.yaml")
        try daemon.drop(photo: "path.jpg", as: "large.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 30) {
            !DaemonHarness.files(under: daemon.state + "/processing").isEmpty
        })

        #expect(await daemon.stop() == 0)

        // The job was either finished in time or returned whole; never lost, never half-delivered.
        let inbox = DaemonHarness.files(under: daemon.inbox)
        let outbox = DaemonHarness.files(under: daemon.outbox)
        let finished = outbox.contains("large-edited.jpg")
        #expect(finished || inbox == ["large.jpg", "large.yaml"], "inbox \(inbox), outbox \(outbox)\n\(daemon.log)")
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
        #expect(!outbox.contains { $0.hasSuffix(".tmp") })
    }

    @Test func sidecarEditedAfterClaimDoesNotChangeRunningJob() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(text: "size: 640x400\noutput:\n  format: png\n", as: "snap.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "snap.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/snap.job.json")
        }, "\(daemon.log)")

        // The same names dropped again later are a new job, and its result gets a new name.
        try daemon.drop(text: "size: 320x200\noutput:\n  format: png\n", as: "snap.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "snap.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/snap-edited-2.png")
        }, "\(daemon.log)")
        await daemon.stop()

        let first = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: daemon.outbox + "/snap-edited.png")))).image
        let second = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: daemon.outbox + "/snap-edited-2.png")))).image
        #expect(first.width == 640)
        #expect(second.width == 320)
        #expect(DaemonHarness.files(under: daemon.outbox).filter { $0.hasSuffix(".job.json") } == ["snap-2.job.json", "snap.job.json"])
    }

    @Test func longFileNameIsDeliveredWithShortenedNames() async throws {
        let daemon = try DaemonHarness(extraConfiguration: "retry:\n  attempts: 1\n  initial_delay: 1\n  max_delay: 1")
        try await daemon.start()
        let stem = String(repeating: "y", count: 246)
        let image = Image(width: 32, height: 24, layout: .rgb, filledWith: 90)
        try daemon.drop(data: Data(try ImageEncoder.encode(image, options: EncodeOptions(format: .png))), as: stem + ".png")

        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.outbox).contains { $0.hasSuffix(".job.json") }
        }, "\(daemon.log)")
        await daemon.stop()

        let outbox = DaemonHarness.files(under: daemon.outbox)
        #expect(outbox.filter { !$0.hasPrefix("originals/") && $0.hasSuffix(".png") }.count == 1)
        #expect(outbox.allSatisfy { ($0 as NSString).lastPathComponent.utf8.count <= 255 })
        #expect(!outbox.contains { $0.hasSuffix(".tmp") })
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }

    @Test func fullOutboxPausesJobUntilSpaceReturns() async throws {
        guard getuid() == 0 else {
            print("skipped: mounting a tmpfs for the outbox needs root")
            return
        }
        let daemon = try DaemonHarness(extraConfiguration: "retry:\n  attempts: 20\n  initial_delay: 1\n  max_delay: 2")
        guard mountTmpfs(at: daemon.outbox, size: "256k") else {
            print("skipped: mount -t tmpfs failed here")
            return
        }
        defer { unmount(daemon.outbox) }
        try await daemon.start()
        try daemon.drop(text: "output:\n  format: png\n", as: "big.yaml")
        try daemon.drop(photo: "kite.jpg", as: "big.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) { daemon.log.contains("Job will be retried") || daemon.log.contains("Job retry scheduled") }, "\(daemon.log)")
        #expect(!DaemonHarness.files(under: daemon.outbox).contains { $0.hasSuffix(".png") })
        #expect(!DaemonHarness.files(under: daemon.outbox).contains { $0.hasSuffix(".tmp") })
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)

        #expect(remountTmpfs(at: daemon.outbox, size: "64m"))
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/big.job.json")
        }, "\(daemon.log)")
        await daemon.stop()
        #expect(DaemonHarness.files(under: daemon.outbox).contains("big-edited.png"))
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }

    private func mountTmpfs(at path: String, size: String) -> Bool {
        runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
    }

    private func remountTmpfs(at path: String, size: String) -> Bool {
        runTool("/bin/mount", ["-o", "remount,size=\(size)", path])
    }

    private func unmount(_ path: String) {
        _ = runTool("/bin/umount", ["-l", path])
    }

    private func runTool(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
