internal import CInotifyTools
import Foundation
import Synchronization

/// The watcher thread: the only code that calls libinotifytools.
extension InotifyWatcher {
    /// Runs until `shutdown()`; returns false when libinotifytools could not be initialised.
    func runLoop() -> Bool {
        guard initializeLibrary() else { return false }
        var movedFrom: [UInt32: String] = [:]
        while true {
            let (requests, stop, paused) = state.withLock { state in
                defer { state.requests = [] }
                return (state.requests, state.stopRequested, state.readingPaused)
            }
            if stop { break }
            for request in requests { handle(request) }
            if paused {
                usleep(20_000)
                continue
            }
            // Returns nil after the one-second timeout; the event points into a static buffer.
            guard let raw = inotifytools_next_event(1) else { continue }
            let event = copyEvent(raw)
            dispatch(event, cookie: raw.pointee.cookie, movedFrom: &movedFrom)
        }
        inotifytools_cleanup()
        removeWakeDirectory()
        finishSubscriptions()
        return true
    }

    /// Ends every subscriber's stream after a shutdown, because their watches are gone with the instance.
    func finishSubscriptions() {
        let continuations = state.withLock { state in
            defer { state.subscriptions = [:] }
            return state.subscriptions.values.map(\.continuation)
        }
        for continuation in continuations { continuation.finish() }
    }

    func initializeLibrary() -> Bool {
        guard inotifytools_initialize() != 0 else {
            let code = inotifytools_error()
            broadcast(.watchFailed(directory: "", errno: code))
            return false
        }
        var template = Array("/tmp/kontextd-inotify-wake.XXXXXX".utf8CString)
        if let created = mkdtemp(&template) {
            let directory = String(cString: created)
            _ = inotifytools_watch_file(directory, IN_CLOSE_WRITE)
            state.withLock { $0.wakeDirectory = directory }
        }
        return true
    }

    func removeWakeDirectory() {
        let directory = state.withLock { state -> String? in
            defer { state.wakeDirectory = nil }
            return state.wakeDirectory
        }
        guard let directory else { return }
        unlink(directory + "/wake")
        rmdir(directory)
    }

    func handle(_ request: Request) {
        switch request {
        case .add(let id):
            guard let subscription = state.withLock({ $0.subscriptions[id] }) else { return }
            addWatches(under: subscription.root, relative: "", subscription: subscription, id: id, report: false)
            yield(.watching, to: id)
        case .retry(let root, let directory):
            let match = state.withLock { state in state.subscriptions.first { $0.value.root == root } }
            guard let (id, subscription) = match else { return }
            let relative = String(directory.dropFirst(root.count)).trimmingCharacters(in: ["/"])
            if addWatches(under: directory, relative: relative, subscription: subscription, id: id, report: true) {
                yield(.watchRestored(directory: directory), to: id)
            }
        case .reinitialize:
            inotifytools_cleanup()
            removeWakeDirectory()
            guard initializeLibrary() else {
                // Without an instance the loop must not call the library again, so the thread stops.
                state.withLock { $0.stopRequested = true }
                return
            }
            let subscriptions = state.withLock { $0.subscriptions }
            for (id, subscription) in subscriptions {
                addWatches(under: subscription.root, relative: "", subscription: subscription, id: id, report: false)
            }
            broadcast(.overflow)
        }
    }

    /// Adds a watch on `directory` first and then lists it, so nothing created in between is missed.
    /// With `report`, every entry found yields a synthesized event. Returns false when `directory` itself
    /// could not be watched.
    @discardableResult
    func addWatches(
        under directory: String,
        relative: String,
        subscription: Subscription,
        id: UInt64,
        report: Bool
    ) -> Bool {
        let injected = state.withLock { $0.injectedWatchFailure }
        if let injected, splitPath(directory).name == injected.folderName {
            yield(.watchFailed(directory: directory, errno: injected.errno), to: id)
            return false
        }
        guard inotifytools_watch_file(directory, Self.watchMask) != 0 else {
            let code = inotifytools_error()
            if code != ENOENT && code != ENOTDIR { yield(.watchFailed(directory: directory, errno: code), to: id) }
            return false
        }
        guard let names = try? listDirectory(directory) else { return true }
        for name in names.sorted() {
            let path = directory + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            let isFolder = (try? FileStatus.lstat(path))??.kind == .directory
            guard !subscription.ignoreRules.ignores(childRelative, isFolder: isFolder) else { continue }
            if report {
                let mask = UInt32(IN_CREATE) | (isFolder ? UInt32(IN_ISDIR) : 0)
                yield(.changed(InotifyEvent(path: path, mask: mask, synthesized: true)), to: id)
            }
            if isFolder {
                addWatches(under: path, relative: childRelative, subscription: subscription, id: id, report: report)
            }
        }
        return true
    }

    func copyEvent(_ raw: UnsafeMutablePointer<inotify_event>) -> InotifyEvent {
        let mask = raw.pointee.mask
        let name = String(cString: kontextd_inotify_event_name(raw))
        var directory = inotifytools_filename_from_wd(raw.pointee.wd).map { String(cString: $0) } ?? ""
        if directory.hasSuffix("/") { directory.removeLast() }
        let path = name.isEmpty ? directory : directory + "/" + name
        return InotifyEvent(path: path, mask: mask, synthesized: false)
    }

    /// Routes one event to the subscription whose tree contains it, watching new folders on the way.
    func dispatch(_ event: InotifyEvent, cookie: UInt32, movedFrom: inout [UInt32: String]) {
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
            broadcast(.overflow)
            return
        }
        if let wakeDirectory = state.withLock({ $0.wakeDirectory }), event.path.hasPrefix(wakeDirectory) { return }
        guard let (id, subscription) = subscription(containing: event.path) else { return }
        let relative = String(event.path.dropFirst(subscription.root.count)).trimmingCharacters(in: ["/"])
        guard
            relative.isEmpty || !subscription.ignoreRules.ignoresAnyComponent(of: relative, isFolder: event.isDirectory)
        else { return }

        if event.isDirectory && event.mask & UInt32(IN_MOVED_FROM) != 0 {
            // A folder moved out of the tree never gets its MOVED_TO, so old cookies are dropped in bulk.
            if movedFrom.count >= 1024 { movedFrom.removeAll() }
            movedFrom[cookie] = event.path
        }
        yield(.changed(event), to: id)
        guard event.isDirectory, event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 else { return }
        if event.mask & UInt32(IN_MOVED_TO) != 0, let oldPath = movedFrom.removeValue(forKey: cookie) {
            // Keep the library's wd-to-name table right for a folder renamed inside the tree.
            inotifytools_replace_filename(oldPath + "/", event.path + "/")
        }
        addWatches(under: event.path, relative: relative, subscription: subscription, id: id, report: true)
    }
}
