public import DaemonSupport
import Foundation
import Synchronization

/// Timing and filtering settings of a `HotFolderMonitor`.
public struct MonitorConfiguration: Sendable {
    /// Interval of the full reconciling scan, jittered by ±10 % so several daemons do not scan in step.
    public var scanInterval: Duration
    /// Scan interval for inboxes on network file systems and subtrees whose watches failed.
    public var pollInterval: Duration
    /// How often folders that hold files are looked at again, so settle and sidecar timers fire without events.
    public var tickInterval: Duration
    /// A file still changing this long after it was first seen is rejected as `never-stable`.
    public var maxWait: Duration
    /// A candidate or rejection still in the inbox after this long is reported again.
    public var reofferBackoff: Duration
    /// Extra `fnmatch(3)` patterns to ignore, on top of `IgnoreRules.defaultPatterns`.
    public var extraIgnorePatterns: [String]
    /// Poll even on a local file system, without inotify.
    public var forcePolling: Bool

    public init(
        scanInterval: Duration = .seconds(60),
        pollInterval: Duration = .seconds(5),
        tickInterval: Duration = .milliseconds(100),
        maxWait: Duration = .seconds(600),
        reofferBackoff: Duration = .seconds(60),
        extraIgnorePatterns: [String] = [],
        forcePolling: Bool = false
    ) {
        self.scanInterval = scanInterval
        self.pollInterval = pollInterval
        self.tickInterval = tickInterval
        self.maxWait = maxWait
        self.reofferBackoff = reofferBackoff
        self.extraIgnorePatterns = extraIgnorePatterns
        self.forcePolling = forcePolling
    }
}

/// Watches one inbox with all its subfolders and yields the jobs and rejects found in it.
///
/// inotify events only mark folders for a look; the tracker's scans decide. A full scan runs at start-up,
/// every `scanInterval`, after a queue overflow, after a watch failure and when `rescan()` is called.
///
/// Intake rules:
/// - A file is complete once size, mtime, ctime and inode stay unchanged for the folder's settle time.
/// - `photo.jpg` pairs with `photo.yaml`, `photo.yml` or `photo.jpg.yaml`, compared case-insensitively.
///   A sidecar that matches two images, or an image that matches two sidecars, is rejected as
///   `ambiguous sidecar` with all the files involved.
/// - A job waits until every file its sidecar names has settled. Those files never become jobs themselves.
/// - A file that two sidecars name (one mask for a batch) is shared: each claim hard-links it, and the
///   original stays in the inbox. A file named in an offered job that no sidecar names any more is left
///   alone (neither a job nor a reject) until it changes, so delete a shared mask when its batch is done.
/// - A candidate or reject is reported once per identity, and again after `reofferBackoff` if its files
///   are still there.
public final class HotFolderMonitor: Sendable {
    struct Work: Sendable {
        var folders: Set<String> = []
        var subtrees: Set<String> = []
        var fullScan = true
        var watching = false
        var rootLost = false
        var polledSubtrees: Set<String> = []
        /// Whether the one warning about the inotify watch limit was logged.
        var limitWarned = false
        var inboxMissing = false
        var overflowCount = 0
    }

    public let inbox: String
    let configuration: MonitorConfiguration
    let ignoreRules: IgnoreRules
    let logger: Logger
    let clock: any MonitorClock
    let policy: @Sendable (String) -> FolderPolicy
    let references: @Sendable (String) throws -> [String]
    let work = Mutex(Work())
    /// Wakes the loop before its next tick when an event arrives, so a new file is seen at once.
    let wakeup = WakeSignal()

    /// - Parameters:
    ///   - inbox: absolute path of the inbox root.
    ///   - policy: returns the intake rules for an inbox-relative folder ("" is the root).
    ///   - references: returns the paths a sidecar (given by absolute path) names, relative to the sidecar's
    ///     folder. Throwing marks the sidecar invalid. Its job still becomes ready, so the pipeline reports the error.
    public init(
        inbox: String,
        configuration: MonitorConfiguration = MonitorConfiguration(),
        logger: Logger,
        clock: any MonitorClock = SystemMonitorClock(),
        policy: @escaping @Sendable (String) -> FolderPolicy,
        references: @escaping @Sendable (String) throws -> [String] = { _ in [] }
    ) {
        self.inbox = inbox.count > 1 && inbox.hasSuffix("/") ? String(inbox.dropLast()) : inbox
        self.configuration = configuration
        self.ignoreRules = IgnoreRules(extraPatterns: configuration.extraIgnorePatterns)
        self.logger = logger.with(["watch.path": inbox])
        self.clock = clock
        self.policy = policy
        self.references = references
    }

    /// Starts watching and returns the intake events; ending the iteration stops the monitor.
    /// Call it once per monitor, because every call starts its own loop over the same state.
    public func intake() -> AsyncStream<IntakeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: IntakeEvent.self, bufferingPolicy: .unbounded)
        let task = Task { [self] in
            await run(continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Requests a full scan at the next tick, for example after SIGHUP.
    public func rescan() {
        work.withLock { $0.fullScan = true }
    }

    /// Number of event-queue overflows seen so far.
    public var overflowCount: Int { work.withLock { $0.overflowCount } }

    /// Inbox-relative subtrees that are polled because a watch could not be added ("" is the whole inbox).
    public var polledSubtrees: Set<String> { work.withLock { $0.polledSubtrees } }

    func relativePath(_ absolute: String) -> String? {
        guard absolute == inbox || absolute.hasPrefix(inbox + "/") else { return nil }
        return String(absolute.dropFirst(inbox.count)).trimmingCharacters(in: ["/"])
    }
}
