import DaemonSupport
import Foundation
import Synchronization
import Testing

@testable import HotFolder

/// Wall-clock tests with real inotify. They run one at a time because they share the process's single
/// libinotifytools instance, and the overflow test pauses it.
@Suite(.serialized)
struct MonitorTests {
    let inbox = TemporaryDirectory("monitor")

    static func readyCount(_ events: [IntakeEvent]) -> Int { events.compactMap(\.candidate).count }

    @Test func tempNameThenRename() async throws {
        let monitor = makeMonitor(inbox, sidecarWait: .seconds(2))
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                let photo = Array(FileManager.default.contents(atPath: Fixtures.photo("bythewater.jpg")) ?? Data())
                for start in stride(from: 0, to: photo.count, by: 100_000) {
                    directory.append("IMG_0001.jpg.filepart", Array(photo[start..<min(start + 100_000, photo.count)]))
                    try? await Task.sleep(for: .milliseconds(20))
                }
                directory.write("IMG_0001.yaml.filepart", text: "prompt: winter\n")
                directory.move("IMG_0001.jpg.filepart", "IMG_0001.jpg")
                try? await Task.sleep(for: .milliseconds(400))
                directory.move("IMG_0001.yaml.filepart", "IMG_0001.yaml")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.image == "IMG_0001.jpg")
        #expect(events.first?.candidate?.sidecar == "IMG_0001.yaml")
        #expect(events.first?.candidate?.identity.size == 494_563)
    }

    @Test func slowWriterWaitsForLastChunk() async throws {
        // Pauses of 100 ms against a settle time of 1 s leave room for a slow scheduler on a busy machine.
        let monitor = makeMonitor(inbox, settle: .seconds(1))
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.write("slow.png", Fixtures.smallPNG)
                for _ in 0..<15 {
                    try? await Task.sleep(for: .milliseconds(100))
                    directory.append("slow.png", Array(repeating: 0, count: 1000))
                }
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.identity.size == Int64(Fixtures.smallPNG.count + 15_000))
    }

    @Test func reopenAndAppendGivesOneJob() async throws {
        let monitor = makeMonitor(inbox, settle: .seconds(1))
        let directory = inbox
        let photo = Array(FileManager.default.contents(atPath: Fixtures.photo("colorfulcups.jpg")) ?? Data())

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.append("IMG_0002.jpg", Array(photo[..<(photo.count / 10)]))
                try? await Task.sleep(for: .milliseconds(150))
                directory.append("IMG_0002.jpg", Array(photo[(photo.count / 10)...]))
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.identity.size == Int64(photo.count))
    }

    @Test func tripleCloseGivesOneJob() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.append("triple.png", Fixtures.smallPNG)
                directory.append("triple.png", [])
                directory.append("triple.png", [])
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.image == "triple.png")
    }

    @Test func copiedTreeFoundCompletely() async throws {
        let staging = TemporaryDirectory("staging")
        for index in 0..<50 {
            staging.writePNG("batch42/img\(index).png")
            staging.write("batch42/img\(index).yaml", text: "prompt: \(index)\n")
        }
        staging.writePNG("pair/deep.png")
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(200))
                run("/bin/cp", ["-a", staging.url("batch42"), directory.path + "/"])
                run(
                    "/bin/sh",
                    [
                        "-c",
                        "mkdir -p '\(directory.path)/a/b/c' && cp '\(staging.url("pair/deep.png"))' '\(directory.path)/a/b/c/'",
                    ]
                )
            },
            until: { Self.readyCount($0) >= 51 }
        )

        let paths = events.compactMap(\.candidate).map(\.imagePath)
        #expect(paths.count == 51)
        #expect(Set(paths).count == 51)
        #expect(paths.contains("a/b/c/deep.png"))
        #expect(events.compactMap(\.candidate).filter { $0.folder == "batch42" }.allSatisfy { $0.sidecar != nil })
    }

    @Test func editorSaveIgnoresSwapFiles() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.writePNG("IMG_0007.png")
                directory.write(".IMG_0007.yaml.swp", text: "vim swap")
                directory.write("IMG_0007.yaml~", text: "backup")
                directory.write("sedAb12Cd.tmp", text: "prompt: edited\n")
                directory.move("sedAb12Cd.tmp", "IMG_0007.yaml")
                unlink(directory.url(".IMG_0007.yaml.swp"))
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.sidecar == "IMG_0007.yaml")
    }

    @Test func fifoAndSymlinkDoNotBlock() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            timeout: .seconds(10),
            whileRunning: {
                mkfifo(directory.url("pipe.png"), 0o644)
                symlink("/etc/passwd", directory.url("passwd.png"))
                directory.writePNG("after.png")
            },
            until: { $0.count >= 3 }
        )

        let rejected = Set(events.compactMap(\.rejection?.reason))
        #expect(rejected == [.specialFile(file: "pipe.png", kind: .fifo), .symbolicLink(file: "passwd.png")])
        #expect(events.compactMap(\.candidate).map(\.image) == ["after.png"])
    }

    @Test func pollingFindsFilesWithoutInotify() async throws {
        let configuration = MonitorConfiguration(
            pollInterval: .milliseconds(200),
            tickInterval: .milliseconds(50),
            forcePolling: true
        )
        let monitor = makeMonitor(inbox, configuration: configuration)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(300))
                directory.writePNG("polled.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.image) == ["polled.png"])
        #expect(monitor.polledSubtrees == [""])
    }

    @Test func rescanFindsWhatEventsMissed() async throws {
        let configuration = MonitorConfiguration(
            scanInterval: .seconds(600),
            pollInterval: .seconds(600),
            tickInterval: .milliseconds(50),
            forcePolling: true
        )
        let monitor = makeMonitor(inbox, configuration: configuration)
        let directory = inbox
        let before = await collectEvents(
            from: monitor,
            timeout: .seconds(1),
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(200))
                directory.writePNG("missed.png")
            },
            until: { _ in false }
        )

        let after = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(200))
                monitor.rescan()
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(before.isEmpty)
        #expect(after.compactMap(\.candidate).map(\.image) == ["missed.png"])
    }

    @Test func watchLimitSwitchesToPolling() {
        let (logger, handler) = makeLogger()
        let monitor = HotFolderMonitor(inbox: inbox.path, logger: logger, policy: { _ in FolderPolicy() })

        monitor.handle(.watchFailed(directory: inbox.url("team"), errno: ENOSPC))
        monitor.handle(.watchFailed(directory: inbox.url("team"), errno: ENOSPC))
        monitor.handle(.watchFailed(directory: inbox.url("archive"), errno: ENOSPC))

        #expect(monitor.polledSubtrees == ["team", "archive"])
        let warnings = handler.records.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(handler.records.filter { $0.message == "Watch limit reached, polling this subtree" }.count == 1)
        #expect(
            warnings.first?.message == "Watch limit reached, polling this subtree. Raise fs.inotify.max_user_watches"
        )
        #expect(warnings.first?.metadata["folder"] == "team")
    }

    @Test func burstWithOverflowFindsEveryPairOnce() async throws {
        let limitPath = "/proc/sys/fs/inotify/max_queued_events"
        guard getuid() == 0, let original = try? String(contentsOfFile: limitPath, encoding: .utf8) else {
            print("Skipping burstWithOverflowFindsEveryPairOnce: lowering \(limitPath) needs root")
            return
        }
        // tmpfs, because creating 4,000 files on the ext file system under /tmp takes seconds on a busy machine.
        let directory = TemporaryDirectory("burst", base: "/dev/shm")
        let monitor = makeMonitor(directory, sidecarWait: .seconds(1))
        let watcher = InotifyWatcher.shared

        let events = await collectEvents(
            from: monitor,
            timeout: .seconds(40),
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(300))
                try? "64\n".write(toFile: limitPath, atomically: false, encoding: .utf8)
                watcher.reinitialize()
                try? await Task.sleep(for: .milliseconds(300))
                try? original.write(toFile: limitPath, atomically: false, encoding: .utf8)
                watcher.setReadingPaused(true)
                for index in 0..<2000 {
                    directory.write("burst/job\(index).yaml", text: "prompt: \(index)\n")
                    directory.writePNG("burst/job\(index).png")
                }
                watcher.setReadingPaused(false)
            },
            until: { Self.readyCount($0) >= 2000 }
        )
        watcher.reinitialize()

        let candidates = events.compactMap(\.candidate)
        #expect(candidates.count == 2000)
        #expect(Set(candidates.map(\.imagePath)).count == 2000)
        #expect(candidates.allSatisfy { $0.sidecar == $0.image.replacingOccurrences(of: ".png", with: ".yaml") })
        #expect(monitor.overflowCount >= 1)
        #expect(try String(contentsOfFile: limitPath, encoding: .utf8) == original)
    }

    @Test func watcherShutsDownAndRestarts() async throws {
        InotifyWatcher.shared.shutdown()
        #expect(InotifyWatcher.shared.state.withLock { $0.threadRunning } == false)
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.writePNG("after-restart.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.image) == ["after-restart.png"])
    }

    @Test func monitorResubscribesAfterShutdown() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(300))
                InotifyWatcher.shared.shutdown()
                try? await Task.sleep(for: .milliseconds(300))
                directory.writePNG("after-shutdown.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.image) == ["after-shutdown.png"])
        #expect(InotifyWatcher.shared.state.withLock { $0.threadRunning })
    }

    @Test func hardLinkHandoffGivesOneJob() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                directory.writePNG(".upload-7f3a.tmp")
                link(directory.url(".upload-7f3a.tmp"), directory.url("linked.png"))
                unlink(directory.url(".upload-7f3a.tmp"))
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.count == 1)
        #expect(events.first?.candidate?.image == "linked.png")
    }

    @Test func hiddenFolderRenamedIntoView() async throws {
        for index in 0..<5 { inbox.writePNG(".incoming/img\(index).png") }
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(500))
                directory.move(".incoming", "incoming")
                try? await Task.sleep(for: .milliseconds(100))
                directory.writePNG("incoming/late.png")
            },
            until: { Self.readyCount($0) >= 6 }
        )

        let paths = Set(events.compactMap(\.candidate).map(\.imagePath))
        #expect(paths == Set((0..<5).map { "incoming/img\($0).png" } + ["incoming/late.png"]))
        #expect(events.count == 6)
    }

    @Test func inboxRecreatedIsWatchedAgain() async throws {
        let monitor = makeMonitor(inbox)
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(300))
                try? FileManager.default.removeItem(atPath: directory.path)
                mkdir(directory.path, 0o755)
                try? await Task.sleep(for: .milliseconds(500))
                directory.writePNG("after-recreate.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.image) == ["after-recreate.png"])
    }

    @Test func failedWatchSubtreeIsPolled() async throws {
        let (logger, handler) = makeLogger()
        let configuration = MonitorConfiguration(pollInterval: .milliseconds(200), tickInterval: .milliseconds(50))
        let policy = FolderPolicy(settle: .milliseconds(300), sidecarWait: .zero)
        let monitor = HotFolderMonitor(
            inbox: inbox.path,
            configuration: configuration,
            logger: logger,
            policy: { _ in policy }
        )
        // The folder starts empty, so only polling (not the per-tick look at folders with files) can find the drop.
        mkdir(inbox.url("limited"), 0o755)
        InotifyWatcher.shared.injectWatchFailure(folderName: "limited")
        defer { InotifyWatcher.shared.injectWatchFailure(folderName: nil) }
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(500))
                directory.writePNG("limited/second.png")
                directory.writePNG("watched.png")
            },
            until: { Self.readyCount($0) >= 2 }
        )

        let paths = events.compactMap(\.candidate).map(\.imagePath).sorted()
        #expect(paths == ["limited/second.png", "watched.png"])
        #expect(monitor.polledSubtrees == ["limited"])
        let warnings = handler.records.filter { $0.level == .warning }.map(\.message)
        #expect(warnings == ["Watch limit reached, polling this subtree. Raise fs.inotify.max_user_watches"])
    }

    @Test func restoredWatchEndsPolling() async throws {
        let monitor = makeMonitor(inbox)
        mkdir(inbox.url("limited"), 0o755)
        InotifyWatcher.shared.injectWatchFailure(folderName: "limited")
        defer { InotifyWatcher.shared.injectWatchFailure(folderName: nil) }
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(300))
                InotifyWatcher.shared.injectWatchFailure(folderName: nil)
                monitor.rescan()
                try? await Task.sleep(for: .milliseconds(300))
                directory.writePNG("limited/evented.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.imagePath) == ["limited/evented.png"])
        #expect(monitor.polledSubtrees.isEmpty)
    }

    @Test func missingInboxLoggedOnceAndFound() async throws {
        let (logger, handler) = makeLogger()
        let configuration = MonitorConfiguration(
            pollInterval: .milliseconds(200),
            tickInterval: .milliseconds(50),
            forcePolling: true
        )
        let policy = FolderPolicy(settle: .milliseconds(300), sidecarWait: .zero)
        let monitor = HotFolderMonitor(
            inbox: inbox.url("not-yet"),
            configuration: configuration,
            logger: logger,
            policy: { _ in policy }
        )
        let directory = inbox

        let events = await collectEvents(
            from: monitor,
            whileRunning: {
                try? await Task.sleep(for: .milliseconds(500))
                directory.writePNG("not-yet/first.png")
            },
            until: { Self.readyCount($0) >= 1 }
        )

        #expect(events.compactMap(\.candidate).map(\.image) == ["first.png"])
        let messages = handler.records.map(\.message)
        #expect(messages.filter { $0 == "Inbox not found, waiting for it to appear" }.count == 1)
        #expect(messages.filter { $0 == "Inbox available again" }.count == 1)
    }

    @Test(arguments: [
        (Duration.milliseconds(300), Duration.milliseconds(75)),
        (.milliseconds(100), .milliseconds(50)),
        (.seconds(5), .seconds(1)),
        (.seconds(30), .seconds(1)),
    ])
    func revisitIntervalFollowsSettle(settle: Duration, expected: Duration) {
        let monitor = HotFolderMonitor(
            inbox: inbox.path,
            configuration: MonitorConfiguration(tickInterval: .milliseconds(50)),
            logger: makeLogger().0,
            policy: { _ in FolderPolicy(settle: settle) }
        )

        #expect(monitor.revisitInterval("team") == expected)
    }
}

@discardableResult
func run(_ executable: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}
