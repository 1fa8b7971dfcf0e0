import DaemonSupport
import Foundation
import Testing

@testable import HotFolder

/// Settling and pairing on real files, with a manual clock so timeouts take no wall time.
struct IntakeTrackerTests {
    let inbox = TemporaryDirectory("tracker")
    let clock = ManualMonitorClock()

    func makeTracker(
        policy: FolderPolicy = FolderPolicy(settle: .seconds(5), sidecarWait: .zero, orphanTimeout: .seconds(60)),
        references: @escaping @Sendable (String) throws -> [String] = { _ in [] }
    ) -> IntakeTracker {
        IntakeTracker(
            inbox: inbox.path,
            ignoreRules: IgnoreRules(),
            maxWait: .seconds(120),
            reofferBackoff: .seconds(30),
            logger: makeLogger().0,
            policy: { _ in policy },
            references: references
        )
    }

    /// Observes the whole inbox, then decides every folder, like one full scan of the monitor.
    func scan(_ tracker: inout IntakeTracker) throws -> [IntakeEvent] {
        var queue = [""]
        while let folder = queue.popLast() { queue += try tracker.observe(folder: folder, now: clock.now) }
        return tracker.foldersWithFiles.sorted().flatMap { tracker.decide(folder: $0, now: clock.now) }
    }

    /// Scans, advances the clock by `step`, and repeats `count` times, returning all events.
    func scan(_ tracker: inout IntakeTracker, every step: Duration, times count: Int) throws -> [IntakeEvent] {
        var events: [IntakeEvent] = []
        for _ in 0..<count {
            events += try scan(&tracker)
            clock.advance(by: step)
        }
        return events
    }

    @Test func imageReadyAfterSettle() throws {
        var tracker = makeTracker()
        inbox.copyPhoto("kite.jpg", to: "kite.jpg")

        let early = try scan(&tracker)
        clock.advance(by: .seconds(4))
        let stillEarly = try scan(&tracker)
        clock.advance(by: .seconds(1))
        let settled = try scan(&tracker)

        #expect(early.isEmpty)
        #expect(stillEarly.isEmpty)
        #expect(settled.count == 1)
        #expect(settled.first?.candidate?.image == "kite.jpg")
        #expect(settled.first?.candidate?.format == .jpeg)
        #expect(settled.first?.candidate?.sidecar == nil)
    }

    @Test func growingFileWaitsThenNeverStable() throws {
        var tracker = makeTracker()
        var events: [IntakeEvent] = []

        for second in 0..<125 {
            inbox.append("scan.png", second == 0 ? Fixtures.smallPNG : [UInt8(second % 256)])
            events += try scan(&tracker)
            clock.advance(by: .seconds(1))
        }

        #expect(events.compactMap(\.candidate).isEmpty)
        #expect(events.count == 1)
        #expect(events.first?.rejection?.reason == .neverStable(file: "scan.png", maxWait: .seconds(120)))
        #expect(
            events.first?.rejection?.reason.description
                == "never-stable: 'scan.png' kept changing for 120 s; finish writing it, then touch or drop it again"
        )
    }

    @Test(arguments: ["photo.yaml", "photo.yml", "photo.jpg.yaml", "PHOTO.YAML", "photo.JPG.yml"])
    func sidecarNamePairs(_ sidecarName: String) throws {
        var tracker = makeTracker()
        inbox.copyPhoto("path.jpg", to: "photo.jpg")
        inbox.write(sidecarName, text: "prompt: winter\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.count == 1)
        #expect(events.first?.candidate?.sidecar == sidecarName)
        #expect(events.first?.candidate?.image == "photo.jpg")
    }

    @Test func ambiguousSidecar() throws {
        var tracker = makeTracker()
        inbox.copyPhoto("path.jpg", to: "photo.jpg")
        inbox.writePNG("photo.png")
        inbox.write("photo.yaml", text: "prompt: winter\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.count == 1)
        let rejection = try #require(events.first?.rejection)
        #expect(rejection.files == ["photo.yaml", "photo.jpg", "photo.png"])
        #expect(
            rejection.reason.description
                == "ambiguous sidecar: 'photo.yaml' matches 'photo.jpg' and 'photo.png'; "
                + "name the sidecar after one image with its extension, such as 'photo.jpg.yaml'"
        )
    }

    @Test func twoSidecarsForOneImage() throws {
        var tracker = makeTracker()
        inbox.writePNG("photo.png")
        inbox.write("photo.yaml", text: "prompt: a\n")
        inbox.write("photo.png.yaml", text: "prompt: b\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.count == 1)
        #expect(
            events.first?.rejection?.reason
                == .ambiguousImage(image: "photo.png", sidecars: ["photo.png.yaml", "photo.yaml"])
        )
    }

    @Test func distinctSidecarsPerExtension() throws {
        var tracker = makeTracker()
        inbox.writePNG("photo.png")
        inbox.copyPhoto("kite.jpg", to: "photo.jpg")
        inbox.write("photo.png.yaml", text: "prompt: a\n")
        inbox.write("photo.jpg.yaml", text: "prompt: b\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        let pairs = Set(events.compactMap { $0.candidate.map { "\($0.image)+\($0.sidecar ?? "")" } })
        #expect(pairs == ["photo.png+photo.png.yaml", "photo.jpg+photo.jpg.yaml"])
        #expect(events.count == 2)
    }

    @Test func requiredSidecarTimesOut() throws {
        let policy = FolderPolicy(settle: .seconds(5), sidecarRequired: true, sidecarWait: .seconds(30))
        var tracker = makeTracker(policy: policy)
        inbox.writePNG("lonely.png")

        let beforeDeadline = try scan(&tracker, every: .seconds(5), times: 7)
        let afterDeadline = try scan(&tracker, every: .seconds(5), times: 1)

        #expect(beforeDeadline.isEmpty)
        #expect(afterDeadline.count == 1)
        #expect(
            afterDeadline.first?.rejection?.reason.description
                == "missing sidecar: no sidecar for 'lonely.png' arrived within 30 s, and this folder requires one"
        )
    }

    @Test func requiredSidecarArrivesLate() throws {
        let policy = FolderPolicy(settle: .seconds(5), sidecarRequired: true, sidecarWait: .seconds(30))
        var tracker = makeTracker(policy: policy)
        inbox.writePNG("late.png")

        let waiting = try scan(&tracker, every: .seconds(5), times: 4)
        inbox.write("late.yaml", text: "prompt: x\n")
        let paired = try scan(&tracker, every: .seconds(5), times: 3)

        #expect(waiting.isEmpty)
        #expect(paired.count == 1)
        #expect(paired.first?.candidate?.sidecar == "late.yaml")
    }

    @Test func orphanSidecarMissingImage() throws {
        var tracker = makeTracker()
        inbox.write("orphan.yaml", text: "prompt: x\n")

        let events = try scan(&tracker, every: .seconds(10), times: 8)

        #expect(events.count == 1)
        #expect(
            events.first?.rejection?.reason.description
                == "missing image: no image for sidecar 'orphan.yaml' arrived within 60 s"
        )
    }

    @Test func maskIsWaitedForAndTravels() throws {
        var tracker = makeTracker(references: { _ in ["masks/photo-mask.png"] })
        inbox.writePNG("photo.png")
        inbox.write("photo.yaml", text: "mask: masks/photo-mask.png\n")

        let withoutMask = try scan(&tracker, every: .seconds(10), times: 3)
        inbox.writePNG("masks/photo-mask.png")
        let withMask = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(withoutMask.isEmpty)
        #expect(withMask.count == 1)
        let candidate = try #require(withMask.first?.candidate)
        #expect(candidate.references == ["masks/photo-mask.png"])
        #expect(candidate.sharedReferences.isEmpty)
    }

    @Test func maskNeverArrives() throws {
        var tracker = makeTracker(references: { _ in ["mask.png"] })
        inbox.writePNG("photo.png")
        inbox.write("photo.yaml", text: "mask: mask.png\n")

        let events = try scan(&tracker, every: .seconds(10), times: 8)

        #expect(events.count == 1)
        #expect(events.first?.rejection?.files == ["photo.png", "photo.yaml"])
        #expect(
            events.first?.rejection?.reason.description
                == "missing referenced file: 'mask.png' named by 'photo.yaml' did not arrive or settle within 60 s"
        )
    }

    @Test func maskNamedFileWaitsForItsSidecar() throws {
        var tracker = makeTracker(references: { _ in ["photo.mask.png"] })
        inbox.writePNG("photo.mask.png")

        let maskAlone = try scan(&tracker, every: .seconds(10), times: 4)
        inbox.write("photo.yaml", text: "mask: photo.mask.png\n")
        inbox.writePNG("photo.png")
        let paired = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(maskAlone.isEmpty)
        #expect(paired.count == 1)
        let candidate = try #require(paired.first?.candidate)
        #expect(candidate.image == "photo.png")
        #expect(candidate.references == ["photo.mask.png"])
    }

    @Test(arguments: ["cup.mask.png", "cup-mask.PNG", "cup_MASK.png"])
    func maskNamedFileWithoutSidecarFails(_ name: String) throws {
        var tracker = makeTracker()
        inbox.writePNG(name)

        let events = try scan(&tracker, every: .seconds(10), times: 8)

        #expect(events.count == 1)
        #expect(
            events.first?.rejection?.reason.description
                == "mask without sidecar: '\(name)' is named like a mask, but no sidecar named it within 60 s; "
                + "drop the sidecar that names it, or rename the file if it is a photo to edit"
        )
    }

    @Test func sharedMaskIsMarkedShared() throws {
        var tracker = makeTracker(references: { _ in ["common-mask.png"] })
        inbox.writePNG("a.png")
        inbox.writePNG("b.png")
        inbox.writePNG("common-mask.png")
        inbox.write("a.yaml", text: "mask: common-mask.png\n")
        inbox.write("b.yaml", text: "mask: common-mask.png\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        let candidates = events.compactMap(\.candidate)
        #expect(candidates.map(\.image).sorted() == ["a.png", "b.png"])
        #expect(candidates.allSatisfy { $0.sharedReferences == ["common-mask.png"] })
        #expect(events.count == 2)
    }

    @Test func leftoverSharedMaskIgnored() throws {
        var tracker = makeTracker(references: { _ in ["common-mask.png"] })
        for name in ["a", "b"] {
            inbox.writePNG("\(name).png")
            inbox.write("\(name).yaml", text: "mask: common-mask.png\n")
        }
        inbox.writePNG("common-mask.png")
        let offered = try scan(&tracker, every: .seconds(3), times: 3)

        for name in ["a.png", "a.yaml", "b.png", "b.yaml"] { unlink(inbox.url(name)) }
        let afterClaims = try scan(&tracker, every: .seconds(30), times: 4)
        inbox.append("common-mask.png", [0])
        let afterChange = try scan(&tracker, every: .seconds(10), times: 8)

        #expect(offered.compactMap(\.candidate).count == 2)
        #expect(afterClaims.isEmpty)
        // Changed, it is looked at again; named like a mask, it is never taken for a photo.
        #expect(afterChange.compactMap(\.candidate).isEmpty)
        #expect(afterChange.compactMap(\.rejection).map(\.reason.code) == ["mask without sidecar"])
    }

    @Test func invalidSidecarStillReady() throws {
        struct ParseError: Error {}
        var tracker = makeTracker(references: { _ in throw ParseError() })
        inbox.writePNG("photo.png")
        inbox.write("photo.yaml", text: "mask: [unclosed\n")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.count == 1)
        #expect(events.first?.candidate?.sidecar == "photo.yaml")
        #expect(events.first?.candidate?.references == [])
    }

    @Test func notAnImage() throws {
        var tracker = makeTracker()
        inbox.write("notes.txt", text: "hello")

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.count == 1)
        #expect(events.first?.rejection?.reason == .notAnImage(file: "notes.txt"))
    }

    @Test func junkAndRecipesIgnored() throws {
        var tracker = makeTracker()
        for name in [
            ".photo.yaml.swp", "._photo.png", ".DS_Store", "Thumbs.db", "photo.png.part", "x.tmp",
            "kontextd.recipe.yaml", "@eaDir/photo.png/thumb.png", "team/kontextd.recipe.yml",
        ] {
            inbox.write(name, text: "junk")
        }

        let events = try scan(&tracker, every: .seconds(3), times: 3)

        #expect(events.isEmpty)
    }

    @Test func fifoAndSymlinkRejected() throws {
        var tracker = makeTracker()
        #expect(mkfifo(inbox.url("pipe.jpg"), 0o644) == 0)
        #expect(symlink(Fixtures.photo("kite.jpg"), inbox.url("link.jpg")) == 0)

        let events = try scan(&tracker)

        let reasons = Set(events.compactMap(\.rejection?.reason))
        #expect(reasons == [.specialFile(file: "pipe.jpg", kind: .fifo), .symbolicLink(file: "link.jpg")])
        #expect(
            RejectionReason.symbolicLink(file: "link.jpg").description
                == "symbolic link: 'link.jpg' is a link, and links in the inbox are not followed; copy the file itself"
        )
    }

    @Test func reofferedOnlyAfterBackoff() throws {
        var tracker = makeTracker()
        inbox.writePNG("stays.png")

        let first = try scan(&tracker, every: .seconds(5), times: 2)
        let duringBackoff = try scan(&tracker, every: .seconds(5), times: 5)
        let afterBackoff = try scan(&tracker, every: .seconds(5), times: 2)

        #expect(first.count == 1)
        #expect(duringBackoff.isEmpty)
        #expect(afterBackoff.count == 1)
    }

    @Test func returnedFileOfferedAgain() throws {
        var tracker = makeTracker()
        inbox.writePNG("returned.png")
        let first = try scan(&tracker, every: .seconds(5), times: 2)

        rename(inbox.url("returned.png"), inbox.url(".claimed.png"))
        let whileClaimed = try scan(&tracker, every: .seconds(5), times: 1)
        rename(inbox.url(".claimed.png"), inbox.url("returned.png"))
        let afterReturn = try scan(&tracker, every: .seconds(5), times: 2)

        #expect(first.count == 1)
        #expect(whileClaimed.isEmpty)
        #expect(afterReturn.compactMap(\.candidate).map(\.image) == ["returned.png"])
    }

    @Test func newIdentityOfferedAgain() throws {
        var tracker = makeTracker()
        inbox.writePNG("again.png")
        let first = try scan(&tracker, every: .seconds(5), times: 2)

        inbox.append("again.png", [0])
        let second = try scan(&tracker, every: .seconds(5), times: 2)

        #expect(first.count == 1)
        #expect(second.count == 1)
        #expect(first.first?.candidate?.identity != second.first?.candidate?.identity)
    }
}
