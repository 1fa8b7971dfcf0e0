import DaemonSupport
import Foundation
import Synchronization
import Testing

@testable import HotFolder

struct ClaimerTests {
    let inbox = TemporaryDirectory("claim-inbox")
    let state = TemporaryDirectory("claim-state")

    func makeClaimer() throws -> Claimer {
        try Claimer(inbox: inbox.path, stateDirectory: state.path, logger: makeLogger().0)
    }

    func makeCandidate(
        folder: String = "",
        image: String,
        sidecar: String? = nil,
        references: [String] = [],
        shared: Set<String> = []
    ) throws -> JobCandidate {
        let status = try #require(try FileStatus.lstat(inbox.url(joinPath(folder, image))))
        return JobCandidate(
            inbox: inbox.path,
            folder: folder,
            image: image,
            sidecar: sidecar,
            references: references,
            sharedReferences: shared,
            identity: status.identity,
            format: .png
        )
    }

    func claimFolders() -> [String] {
        (((try? listDirectory(state.url("processing"))) ?? nil) ?? []).sorted()
    }

    @Test func claimMovesFilesAndWritesRecord() throws {
        inbox.copyPhoto("autumn.jpg", to: "team/autumn.jpg")
        inbox.write("team/autumn.yaml", text: "mask: masks/autumn.png\n")
        inbox.writePNG("team/masks/autumn.png")
        inbox.writePNG("shared/logo.png")
        let candidate = try makeCandidate(
            folder: "team",
            image: "autumn.jpg",
            sidecar: "autumn.yaml",
            references: ["team/masks/autumn.png", "shared/logo.png"],
            shared: ["shared/logo.png"]
        )

        let job = try #require(try makeClaimer().claim(candidate, attempt: 2))

        #expect(!inbox.exists("team/autumn.jpg"))
        #expect(!inbox.exists("team/autumn.yaml"))
        #expect(!inbox.exists("team/masks/autumn.png"))
        #expect(inbox.exists("shared/logo.png"))
        #expect(job.imagePath == job.directory + "/autumn.jpg")
        #expect(job.sidecarPath == job.directory + "/autumn.yaml")
        #expect(job.claimedPath(of: "team/masks/autumn.png") == job.directory + "/masks/autumn.png")
        #expect(job.claimedPath(of: "shared/logo.png") == job.directory + "/.inbox/shared/logo.png")
        for file in job.record.files {
            #expect(FileManager.default.fileExists(atPath: job.directory + "/" + file.claimed))
        }
        let stored = try #require(try makeClaimer().readRecord(in: job.directory))
        #expect(stored == job.record)
        #expect(stored.attempt == 2)
        #expect(stored.ownerPID == getpid())
        #expect(stored.ownerStartTime == ProcessIdentity.startTime(of: getpid()))
        #expect(stored.bootID.count == 36)
        #expect(stored.folder == "team")
        #expect(stored.imageIdentity == candidate.identity)
        #expect(stored.claimedAt.hasSuffix("Z"))
        #expect(claimFolders() == [job.id])
    }

    @Test func vanishedImageReturnsNil() throws {
        inbox.writePNG("gone.png")
        let candidate = try makeCandidate(image: "gone.png")
        unlink(inbox.url("gone.png"))

        let job = try makeClaimer().claim(candidate)

        #expect(job == nil)
        #expect(claimFolders().isEmpty)
    }

    @Test func vanishedSidecarRollsBack() throws {
        inbox.writePNG("photo.png")
        let candidate = try makeCandidate(image: "photo.png", sidecar: "photo.yaml")

        let job = try makeClaimer().claim(candidate)

        #expect(job == nil)
        #expect(inbox.exists("photo.png"))
        #expect(claimFolders().isEmpty)
    }

    @Test func racingClaimersClaimEachOnce() async throws {
        var candidates: [JobCandidate] = []
        for index in 0..<200 {
            inbox.writePNG("race/img\(index).png")
            inbox.write("race/img\(index).yaml", text: "prompt: \(index)\n")
            candidates.append(try makeCandidate(folder: "race", image: "img\(index).png", sidecar: "img\(index).yaml"))
        }
        let claimers = [try makeClaimer(), try makeClaimer()]
        let toClaim = candidates

        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for claimer in claimers {
                group.addTask {
                    try toClaim.compactMap { try claimer.claim($0)?.record.files.first?.original }
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }

        let all = results.flatMap { $0 }
        #expect(all.count == 200)
        #expect(Set(all).count == 200)
        #expect(claimFolders().count == 200)
        #expect(try listDirectory(inbox.url("race")) == [])
    }

    @Test func releaseMovesFilesBack() throws {
        inbox.writePNG("back.png")
        inbox.write("back.yaml", text: "prompt: x\n")
        let job = try #require(try makeClaimer().claim(try makeCandidate(image: "back.png", sidecar: "back.yaml")))

        try makeClaimer().releaseToInbox(job)

        #expect(inbox.exists("back.png"))
        #expect(inbox.exists("back.yaml"))
        #expect(claimFolders().isEmpty)
    }

    @Test func releaseNeverOverwrites() throws {
        inbox.writePNG("taken.png")
        let job = try #require(try makeClaimer().claim(try makeCandidate(image: "taken.png")))
        inbox.write("taken.png", text: "a new drop with the same name")

        #expect(throws: HotFolderError.destinationExists(path: inbox.url("taken.png"))) {
            try makeClaimer().releaseToInbox(job)
        }
        #expect(
            HotFolderError.destinationExists(path: "/in/taken.png").description
                == "cannot move the job back because '/in/taken.png' already exists in the inbox; "
                + "move or rename that file, then release the job again"
        )
    }

    @Test func stateOnOtherFileSystem() throws {
        let shm = "/dev/shm/kontextd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: shm) }

        #expect(throws: HotFolderError.crossDevice(inbox: inbox.path, stateDirectory: shm)) {
            try Claimer(inbox: inbox.path, stateDirectory: shm, logger: makeLogger().0)
        }
        #expect(
            HotFolderError.crossDevice(inbox: "/in", stateDirectory: "/state").description
                == "state folder '/state' is on another file system than inbox '/in'; "
                + "claims need an atomic rename, so put the state folder on the inbox's file system"
        )
    }

    @Test func staleClaimsFindDeadOwners() throws {
        let claimer = try makeClaimer()
        let dead = try exitedProcessID()
        let sleeper = try startSleeper()
        defer { sleeper.terminate() }
        let sleeperStart = ProcessIdentity.startTime(of: sleeper.processIdentifier) ?? 0
        let owners: [(name: String, change: (inout JobRecord) -> Void)] = [
            ("dead-pid", { $0.ownerPID = dead }),
            ("reused-pid", { $0.ownerStartTime += 1 }),
            ("old-boot", { $0.bootID = "00000000-0000-0000-0000-000000000000" }),
            ("live-self", { _ in }),
            ("live-other", { ($0.ownerPID, $0.ownerStartTime) = (sleeper.processIdentifier, sleeperStart) }),
            ("other-host", { ($0.ownerHost, $0.ownerPID) = ("render-02", dead) }),
        ]
        var jobs: [String: String] = [:]
        for owner in owners {
            inbox.writePNG("\(owner.name).png")
            let job = try #require(try claimer.claim(try makeCandidate(image: "\(owner.name).png")))
            var record = job.record
            owner.change(&record)
            try claimer.writeRecord(record, in: job.directory)
            jobs[job.id] = owner.name
        }

        let stale = try claimer.staleClaims()

        #expect(Set(stale.compactMap { jobs[$0.id] }) == ["dead-pid", "reused-pid", "old-boot"])
        #expect(stale.count == 3)
    }

    @Test func damagedRecordSkipped() throws {
        let (logger, handler) = makeLogger()
        let claimer = try Claimer(inbox: inbox.path, stateDirectory: state.path, logger: logger)
        inbox.writePNG("good.png")
        let job = try #require(try claimer.claim(try makeCandidate(image: "good.png")))
        var record = job.record
        record.ownerPID = try exitedProcessID()
        try claimer.writeRecord(record, in: job.directory)
        state.write("processing/damaged/job.json", text: "{\"id\": ")

        let stale = try claimer.staleClaims()

        #expect(stale.map(\.id) == [job.id])
        let errors = handler.records.filter { $0.level == .error }
        #expect(errors.map(\.message) == ["Claim record unreadable, claim skipped"])
        #expect(errors.first?.metadata["job.path"] == state.url("processing/damaged"))
    }

    @Test func staleClaimRequeued() throws {
        let claimer = try makeClaimer()
        inbox.writePNG("requeue.png")
        let job = try #require(try claimer.claim(try makeCandidate(image: "requeue.png")))
        var record = job.record
        record.ownerPID = try exitedProcessID()
        try claimer.writeRecord(record, in: job.directory)

        for stale in try claimer.staleClaims() { try claimer.releaseToInbox(stale) }

        #expect(inbox.exists("requeue.png"))
        #expect(claimFolders().isEmpty)
    }

    @Test func jobIDsSortByTimeAndAreUnique() {
        let base = timespec(tv_sec: 1_764_878_400, tv_nsec: 5_000_000)
        let ids = (0..<1000).map { makeJobID(now: timespec(tv_sec: base.tv_sec + $0, tv_nsec: base.tv_nsec)) }

        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 1000)
        #expect(ids[0].hasPrefix("20251204T200000.005Z-"))
        #expect(Set((0..<1000).map { _ in makeJobID(now: base) }).count == 1000)
    }

    func exitedProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func startSleeper() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        try process.run()
        return process
    }
}
