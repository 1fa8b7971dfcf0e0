import Foundation
import Testing

@testable import HotFolder

/// Runs `action` while collecting the watcher's events for `root`, until `done` returns true or `timeout` passes.
func collectWatchEvents(
    root: String,
    timeout: Duration = .seconds(10),
    whileRunning action: @escaping @Sendable () async -> Void,
    until done: @escaping @Sendable ([WatchEvent]) -> Bool
) async -> [WatchEvent] {
    let stream = InotifyWatcher.shared.subscribe(root: root, ignoreRules: IgnoreRules())
    return await withTaskGroup(of: [WatchEvent]?.self) { group in
        group.addTask {
            var seen: [WatchEvent] = []
            var started = false
            for await event in stream {
                seen.append(event)
                if event == .watching && !started {
                    started = true
                    await action()
                }
                if done(seen) { return seen }
            }
            return seen
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first ?? []
    }
}

extension WatchEvent {
    var change: InotifyEvent? {
        if case .changed(let event) = self { return event }
        return nil
    }
}

/// The shared watcher on its own. Serialized with the monitor tests because all of them share one thread.
extension MonitorTests {
    @Test func watcherReportsCloseWrite() async {
        let directory = inbox

        let events = await collectWatchEvents(
            root: inbox.path,
            whileRunning: { directory.writePNG("closed.png") },
            until: { events in events.contains { ($0.change?.mask ?? 0) & UInt32(IN_CLOSE_WRITE) != 0 } }
        )

        let change = events.compactMap(\.change).first { $0.mask & UInt32(IN_CLOSE_WRITE) != 0 }
        #expect(events.first == .watching)
        #expect(change?.path == inbox.url("closed.png"))
        #expect(change?.synthesized == false)
    }

    @Test func movedInFolderContentsSynthesized() async {
        let outside = TemporaryDirectory("outside")
        outside.writePNG("batch/one.png")
        outside.writePNG("batch/deeper/two.png")
        outside.writePNG("@eaDir/thumb.png")
        let directory = inbox

        let events = await collectWatchEvents(
            root: inbox.path,
            whileRunning: {
                rename(outside.url("@eaDir"), directory.url("@eaDir"))
                rename(outside.url("batch"), directory.url("batch"))
            },
            until: { events in
                let paths = events.compactMap(\.change?.path)
                return paths.contains { $0.hasSuffix("two.png") } && paths.contains { $0.hasSuffix("one.png") }
            }
        )

        let synthesized = Set(events.compactMap(\.change).filter(\.synthesized).map(\.path))
        #expect(
            synthesized == [
                directory.url("batch/one.png"), directory.url("batch/deeper"), directory.url("batch/deeper/two.png"),
            ]
        )
        #expect(!events.compactMap(\.change).contains { $0.path.contains("@eaDir") })
    }
}
