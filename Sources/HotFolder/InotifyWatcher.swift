internal import CInotifyTools
import Foundation
import Synchronization

/// One change that inotify reported, copied out of libinotifytools' static buffer.
public struct InotifyEvent: Sendable, Equatable {
    /// Absolute path of the file or folder the event is about.
    public var path: String
    /// The `IN_*` bits from `struct inotify_event`.
    public var mask: UInt32
    /// True for events the watcher made up for entries found in a newly watched folder.
    public var synthesized: Bool

    public var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
}

/// An event delivered to a subscriber of the `InotifyWatcher`.
public enum WatchEvent: Sendable, Equatable {
    /// The watches for the subscribed tree are in place; a scan started now misses nothing.
    case watching
    case changed(InotifyEvent)
    /// The kernel queue overflowed and events were lost; rescan everything.
    case overflow
    /// A watch on `directory` could not be added; poll that subtree instead.
    case watchFailed(directory: String, errno: Int32)
    /// A retried watch on `directory` and the folders below it succeeded; events cover it again.
    case watchRestored(directory: String)
}

/// The process's single libinotifytools instance, run on one dedicated thread and shared by all monitors.
///
/// libinotifytools keeps its inotify descriptor, watch tables and event buffer in process-global state and
/// is not thread-safe, so every call to it happens on the watcher thread. `inotifytools_next_event(1)` waits
/// at most one second; a request (subscribe, cancel, shutdown) wakes it early by writing to a private wake folder.
public final class InotifyWatcher: Sendable {
    /// The only instance; a second libinotifytools owner in one process would corrupt its global state.
    public static let shared = InotifyWatcher()

    static let watchMask: Int32 =
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
        | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ATTRIB

    struct Subscription: Sendable {
        var root: String
        var ignoreRules: IgnoreRules
        var continuation: AsyncStream<WatchEvent>.Continuation
    }

    enum Request: Sendable {
        case add(UInt64)
        case retry(root: String, directory: String)
        case reinitialize
    }

    struct State: Sendable {
        var subscriptions: [UInt64: Subscription] = [:]
        var requests: [Request] = []
        var nextID: UInt64 = 0
        var threadRunning = false
        var stopRequested = false
        var readingPaused = false
        var wakeDirectory: String?
        var stopped: DispatchSemaphore?
        /// Test hook: folders whose name is this string fail to be watched with this errno.
        var injectedWatchFailure: (folderName: String, errno: Int32)?
    }

    let state = Mutex(State())

    init() {}

    /// Watches `root` and every folder below it that `ignoreRules` does not exclude.
    ///
    /// The stream first yields `.watching` once the watches exist. Ending the stream's iteration cancels the
    /// subscription; the thread keeps running for later subscribers until `shutdown()`.
    public func subscribe(root: String, ignoreRules: IgnoreRules) -> AsyncStream<WatchEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
        let (id, startThread) = state.withLock { state -> (UInt64, Bool) in
            state.nextID += 1
            state.subscriptions[state.nextID] = Subscription(
                root: root,
                ignoreRules: ignoreRules,
                continuation: continuation
            )
            state.requests.append(.add(state.nextID))
            let start = !state.threadRunning
            if start { (state.threadRunning, state.stopRequested) = (true, false) }
            return (state.nextID, start)
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscriptions.removeValue(forKey: id) }
        }
        if startThread { startWatcherThread() } else { wake() }
        return stream
    }

    /// Stops the watcher thread, which calls `inotifytools_cleanup()`, and waits for it to finish.
    public func shutdown() {
        let stopped = state.withLock { state -> DispatchSemaphore? in
            guard state.threadRunning else { return nil }
            state.stopRequested = true
            return state.stopped
        }
        guard let stopped else { return }
        wake()
        stopped.wait()
    }

    /// Number of active subscriptions.
    public var subscriptionCount: Int { state.withLock { $0.subscriptions.count } }

    /// Tries again to watch `directory` and the folders below it, for the subscription of `root`.
    /// The subscriber receives `.watchRestored` on success, or `.watchFailed` again.
    public func retryWatches(root: String, directory: String) {
        state.withLock { $0.requests.append(.retry(root: root, directory: directory)) }
        wake()
    }

    /// Test hook that stops reading events, as `kill -STOP` would, so the kernel queue fills up.
    func setReadingPaused(_ paused: Bool) {
        state.withLock { $0.readingPaused = paused }
        wake()
    }

    /// Test hook that recreates the inotify instance, which then reads `fs.inotify.max_queued_events` afresh.
    func reinitialize() {
        state.withLock { $0.requests.append(.reinitialize) }
        wake()
    }

    /// Test hook that makes adding a watch on any folder named `folderName` fail with `errno`, as a full
    /// `fs.inotify.max_user_watches` would, without lowering the limit for every process on the machine.
    func injectWatchFailure(folderName: String?, errno: Int32 = ENOSPC) {
        state.withLock { $0.injectedWatchFailure = folderName.map { ($0, errno) } }
    }

    /// Makes a pending `inotifytools_next_event(1)` return at once by closing a file in the wake folder.
    func wake() {
        guard let directory = state.withLock({ $0.wakeDirectory }) else { return }
        let descriptor = open(directory + "/wake", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
    }

    func startWatcherThread() {
        let stopped = DispatchSemaphore(value: 0)
        state.withLock { $0.stopped = stopped }
        let thread = Thread { [self] in
            let initialized = runLoop()
            // A subscription that arrived while the thread was stopping still needs a watcher. After a failed
            // initialisation the subscribers poll instead, and restarting at once would only fail again.
            let restart = state.withLock { state -> Bool in
                let restart = initialized && !state.subscriptions.isEmpty
                (state.threadRunning, state.stopRequested) = (restart, false)
                return restart
            }
            stopped.signal()
            if restart { startWatcherThread() }
        }
        thread.name = "kontextd-inotify"
        thread.start()
    }

    func yield(_ event: WatchEvent, to id: UInt64) {
        let continuation = state.withLock { $0.subscriptions[id]?.continuation }
        continuation?.yield(event)
    }

    func broadcast(_ event: WatchEvent) {
        let continuations = state.withLock { $0.subscriptions.values.map(\.continuation) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// Returns the subscription whose root contains `path`, preferring the longest root.
    func subscription(containing path: String) -> (UInt64, Subscription)? {
        state.withLock { state in
            state.subscriptions
                .filter { path == $0.value.root || path.hasPrefix($0.value.root + "/") }
                .max { $0.value.root.count < $1.value.root.count }
                .map { ($0.key, $0.value) }
        }
    }
}
