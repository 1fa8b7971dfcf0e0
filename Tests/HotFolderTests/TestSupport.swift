import DaemonSupport
import Foundation
import Synchronization
import Testing

@testable import HotFolder

/// A fresh folder under `base` (/tmp by default), removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "hotfolder", base: String = "/tmp") {
        var template = Array("\(base)/kontextd-test-\(label).XXXXXX".utf8CString)
        // mkdtemp only fails when the base folder is unusable, and then no test here can run.
        path = String(cString: mkdtemp(&template)!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `bytes` to `relative`, creating parent folders.
    func write(_ relative: String, _ bytes: [UInt8]) {
        let target = url(relative)
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
    }

    func write(_ relative: String, text: String) { write(relative, Array(text.utf8)) }

    func writePNG(_ relative: String) { write(relative, Fixtures.smallPNG) }

    func copyPhoto(_ name: String, to relative: String) {
        write(relative, Array(FileManager.default.contents(atPath: Fixtures.photo(name)) ?? Data()))
    }

    /// Appends `bytes` with open/write/close, producing one IN_CLOSE_WRITE per call.
    func append(_ relative: String, _ bytes: [UInt8]) {
        let descriptor = open(url(relative), O_WRONLY | O_APPEND | O_CREAT, 0o644)
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    func move(_ from: String, _ to: String) { rename(url(from), url(to)) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }
}

func makeLogger() -> (Logger, MemoryLogHandler) {
    let handler = MemoryLogHandler()
    return (Logger(label: "test", level: .debug, handler: handler), handler)
}

/// Runs `monitor` while `action` runs, and collects intake events until `done` has held for `grace`
/// (so duplicates that arrive late are seen too) or until `timeout`.
func collectEvents(
    from monitor: HotFolderMonitor,
    timeout: Duration = .seconds(20),
    grace: Duration = .milliseconds(800),
    whileRunning action: @escaping @Sendable () async -> Void = {},
    until done: @escaping @Sendable ([IntakeEvent]) -> Bool
) async -> [IntakeEvent] {
    let stream = monitor.intake()
    let log = EventLog()
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            for await event in stream {
                log.append(event, done: done)
            }
        }
        group.addTask { await action() }
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if let doneAt = log.doneAt, ContinuousClock.now - doneAt >= grace { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        group.cancelAll()
    }
    return log.events.withLock { $0 }
}

final class EventLog: Sendable {
    let events = Mutex<[IntakeEvent]>([])
    let finished = Mutex<ContinuousClock.Instant?>(nil)

    var doneAt: ContinuousClock.Instant? { finished.withLock { $0 } }

    func append(_ event: IntakeEvent, done: ([IntakeEvent]) -> Bool) {
        let isDone = events.withLock { events in
            events.append(event)
            return done(events)
        }
        if isDone { finished.withLock { $0 = $0 ?? ContinuousClock.now } }
    }
}

extension IntakeEvent {
    var candidate: JobCandidate? {
        if case .ready(let candidate) = self { return candidate }
        return nil
    }

    var rejection: (files: [String], reason: RejectionReason)? {
        if case .rejected(let files, let reason) = self { return (files, reason) }
        return nil
    }
}

/// Makes a monitor with short timings for wall-clock tests.
func makeMonitor(
    _ directory: TemporaryDirectory,
    settle: Duration = .milliseconds(300),
    sidecarWait: Duration = .zero,
    configuration: MonitorConfiguration = MonitorConfiguration(tickInterval: .milliseconds(50)),
    references: @escaping @Sendable (String) throws -> [String] = { _ in [] }
) -> HotFolderMonitor {
    let policy = FolderPolicy(
        settle: settle,
        sidecarRequired: false,
        sidecarWait: sidecarWait,
        orphanTimeout: .seconds(30)
    )
    return HotFolderMonitor(
        inbox: directory.path,
        configuration: configuration,
        logger: makeLogger().0,
        policy: { _ in policy },
        references: references
    )
}
