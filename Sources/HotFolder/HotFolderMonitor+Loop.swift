internal import CInotifyTools
import DaemonSupport
import Foundation
import Synchronization

/// The monitor's main loop and its handling of watcher events.
extension HotFolderMonitor {
    func run(_ output: AsyncStream<IntakeEvent>.Continuation) async {
        var tracker = IntakeTracker(
            inbox: inbox,
            ignoreRules: ignoreRules,
            maxWait: configuration.maxWait,
            reofferBackoff: configuration.reofferBackoff,
            logger: logger,
            policy: policy,
            references: references
        )
        var watcherTask = await startWatching()
        var nextFullScan = clock.now
        var nextPoll = clock.now.advanced(by: configuration.pollInterval)
        logger.notice("Monitor started")

        while !Task.isCancelled {
            var pending = work.withLock { work -> Work in
                defer { (work.folders, work.subtrees, work.fullScan) = ([], [], false) }
                return work
            }
            let now = clock.now
            if pending.rootLost && watcherTask != nil && FileManager.default.fileExists(atPath: inbox) {
                watcherTask?.cancel()
                work.withLock { $0.rootLost = false }
                watcherTask = await startWatching()
                pending.fullScan = true
            }
            if now >= nextFullScan { pending.fullScan = true }
            if now >= nextPoll {
                pending.subtrees.formUnion(pending.polledSubtrees)
                nextPoll = now.advanced(by: configuration.pollInterval)
            }
            if pending.fullScan {
                pending.subtrees = [""]
                nextFullScan = now.advanced(by: jittered(configuration.scanInterval))
                if watcherTask != nil { retryFailedWatches(pending.polledSubtrees) }
            }
            reportInboxAvailability()

            for event in evaluate(pending, tracker: &tracker, now: now) { output.yield(event) }
            await waitForTickOrEvent()
        }
        watcherTask?.cancel()
        logger.notice("Monitor stopped")
    }

    /// Sleeps one tick, or less when a watcher event arrives first.
    func waitForTickOrEvent() async {
        await wakeup.wait(timeout: configuration.tickInterval)
    }

    /// Observes the folders `pending` names (subtrees recursively) and the folders with files whose revisit
    /// interval has passed, then decides every observed folder that contains files.
    func evaluate(_ pending: Work, tracker: inout IntakeTracker, now: ContinuousClock.Instant) -> [IntakeEvent] {
        var queue = Array(pending.subtrees)
        var observed = Set<String>()
        while let folder = queue.popLast() {
            guard observed.insert(folder).inserted else { continue }
            queue += observe(folder, tracker: &tracker, now: now)
        }
        let due = tracker.foldersWithFiles.filter { folder in
            guard let last = tracker.folders[folder]?.observedAt else { return true }
            return now >= last.advanced(by: revisitInterval(folder))
        }
        for folder in pending.folders.union(due) where !observed.contains(folder) {
            observe(folder, tracker: &tracker, now: now)
            observed.insert(folder)
        }

        var events: [IntakeEvent] = []
        for folder in tracker.foldersWithFiles.sorted() where observed.contains(folder) {
            events += tracker.decide(folder: folder, now: now)
        }
        return events
    }

    /// Returns how often a folder with files is listed again without events: a quarter of its settle time,
    /// at least one tick and at most one second. A file therefore becomes ready at most this late after
    /// settling, and a backlog of thousands of unclaimed files is not listed on every tick.
    func revisitInterval(_ folder: String) -> Duration {
        min(max(policy(folder).settle / 4, configuration.tickInterval), .seconds(1))
    }

    @discardableResult
    func observe(_ folder: String, tracker: inout IntakeTracker, now: ContinuousClock.Instant) -> [String] {
        do {
            return try tracker.observe(folder: folder, now: now)
        } catch {
            logger.warning("Folder scan failed", ["folder": folder, "error": "\(error)"])
            return []
        }
    }

    /// Subscribes to the shared watcher unless the inbox must be polled, and waits until the watches exist.
    func startWatching() async -> Task<Void, Never>? {
        guard !mustPoll() else {
            _ = work.withLock { $0.polledSubtrees.insert("") }
            return nil
        }
        work.withLock { $0.watching = false }
        let events = InotifyWatcher.shared.subscribe(root: inbox, ignoreRules: ignoreRules)
        let task = Task { [self] in
            for await event in events { handle(event) }
            // The watcher ended the stream (shut down) while this monitor still runs, so subscribe again.
            if !Task.isCancelled { work.withLock { ($0.rootLost, $0.fullScan) = (true, true) } }
        }
        for _ in 0..<500 where !work.withLock({ $0.watching }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return task
    }

    func mustPoll() -> Bool {
        if configuration.forcePolling { return true }
        do {
            let type = try FileSystemType.of(inbox)
            guard type.isRemote else { return false }
            logger.notice(
                "Inbox is polled because inotify cannot see writes made by other machines on this file system",
                ["fs.type": type.description, "poll.interval": seconds(configuration.pollInterval)]
            )
            return true
        } catch {
            logger.warning("File system type unknown, polling the inbox", ["error": "\(error)"])
            return true
        }
    }

    /// Turns one watcher event into work for the loop.
    func handle(_ event: WatchEvent) {
        switch event {
        case .watching:
            work.withLock { $0.watching = true }
        case .overflow:
            let count = work.withLock { work -> Int in
                work.fullScan = true
                work.overflowCount += 1
                return work.overflowCount
            }
            logger.warning("Event queue overflowed, rescanning", ["overflow.count": "\(count)"])
        case .watchFailed(let directory, let code):
            watchFailed(directory: directory, errno: code)
        case .watchRestored(let directory):
            let relative = relativePath(directory) ?? ""
            _ = work.withLock { $0.polledSubtrees.remove(relative) }
            logger.info("Watch restored, polling of this subtree stopped", ["folder": relative])
        case .changed(let change):
            changed(change)
        }
    }

    func changed(_ change: InotifyEvent) {
        guard let relative = relativePath(change.path) else { return }
        let rootMask = UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED)
        work.withLock { work in
            if relative.isEmpty {
                if change.mask & rootMask != 0 { work.rootLost = true }
                work.fullScan = true
            } else if change.isDirectory {
                work.subtrees.insert(relative)
                work.folders.insert(splitPath(relative).folder)
            } else {
                work.folders.insert(splitPath(relative).folder)
            }
        }
        wakeup.signal()
    }

    /// Logs once when the inbox disappears (deleted, or its file system unmounted) and once when it is back.
    /// Files that were pending are forgotten, not failed, and found again by the first scan after it returns.
    func reportInboxAvailability() {
        let available = FileManager.default.fileExists(atPath: inbox)
        let changed = work.withLock { work -> Bool in
            defer { work.inboxMissing = !available }
            return work.inboxMissing == available
        }
        guard changed else { return }
        if available {
            logger.notice("Inbox available again")
        } else {
            logger.warning("Inbox not found, waiting for it to appear")
        }
    }

    /// Asks the watcher to watch polled subtrees again, so a raised limit or a freed watch ends the polling.
    /// It runs with every full scan, which makes `scanInterval` the retry back-off.
    func retryFailedWatches(_ subtrees: Set<String>) {
        for subtree in subtrees {
            InotifyWatcher.shared.retryWatches(root: inbox, directory: joinPath(inbox, subtree))
        }
    }

    func watchFailed(directory: String, errno code: Int32) {
        let relative = relativePath(directory) ?? ""
        let isLimit = code == ENOSPC || code == EMFILE
        let (isNew, firstLimit) = work.withLock { work -> (Bool, Bool) in
            work.subtrees.insert(relative)
            let firstLimit = isLimit && !work.limitWarned
            if isLimit { work.limitWarned = true }
            return (work.polledSubtrees.insert(relative).inserted, firstLimit)
        }
        guard isNew else { return }
        var metadata = ["folder": relative, "error": errnoDescription(code)]
        if firstLimit {
            metadata["fix"] = "raise fs.inotify.max_user_watches (ENOSPC) or fs.inotify.max_user_instances (EMFILE)"
            logger.warning("Watch limit reached, polling this subtree. Raise fs.inotify.max_user_watches", metadata)
        } else if isLimit {
            logger.info("Watch limit reached, polling this subtree", metadata)
        } else {
            logger.warning("Watch could not be added, polling this subtree", metadata)
        }
    }

    func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.9...1.1)
    }
}
