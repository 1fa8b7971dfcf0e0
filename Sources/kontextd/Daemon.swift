import Backends
import DaemonSupport
import EditPipeline
import Foundation
import HotFolder
import Recipes
import Synchronization

/// One unit of work for the worker tasks.
enum WorkItem: Sendable {
    /// A settled job in an inbox, not yet claimed.
    case candidate(watch: Int, JobCandidate)
    /// A job already in the state area: recovered after a restart, or due for a retry.
    case claimed(watch: Int, ClaimedJob)
    /// Inbox files that cannot become a job; they go to the failed folder with the reason.
    case rejected(watch: Int, files: [String], reason: String)
}

/// The long-running service behind `kontextd run`.
///
/// Monitors feed a shared queue; a fixed number of worker tasks claim and run jobs. SIGHUP reloads
/// recipes and rescans; SIGTERM stops intake, waits for running jobs up to the stop timeout, and
/// returns any job it had to cancel to its inbox.
final class Daemon: Sendable {
    let configuration: DaemonConfiguration
    let logger: Logger
    let pipeline: EditPipeline
    let watches: [WatchRuntime]
    let queue = WorkQueue<WorkItem>()
    let statistics = Mutex(DaemonStatistics())
    let notifier = SystemdNotifier()
    let stopDeadline: Duration
    let configPath: String?
    let startedAt = Date()

    init(configuration: DaemonConfiguration, configPath: String?, logger: Logger) throws {
        self.configuration = configuration
        self.configPath = configPath
        self.logger = logger
        let relay = ProgressRelay()
        self.pipeline = EditPipeline(
            backends: try BackendFactory.makeRegistry(configuration, logger: logger),
            settings: configuration.pipelineSettings,
            logger: logger,
            progress: { job, progress in relay.report(job: job, progress: progress.description) }
        )
        self.watches = try configuration.watches.map { try WatchRuntime(watch: $0, configuration: configuration, logger: logger) }
        self.stopDeadline = .milliseconds(Int64(configuration.stopTimeout * 1000))
        relay.attach { [weak self] job, progress in
            self?.statistics.withLock { $0.progressed(job, progress) }
        }
    }

    /// Runs until SIGTERM or SIGINT; returns the process exit status.
    func run() async -> Int32 {
        let signals = UnixSignals.makeStream(trapping: [.terminate, .interrupt, .hangup])
        recoverClaims()

        let workers = Task { await runWorkers() }
        let intake = Task { await runIntake() }
        let status = Task { await runStatusLoop() }
        let recovery = Task { await runRecoveryLoop() }

        notify { try notifier.ready(status: statusLine) }
        logger.notice("Daemon started", [
            "watches": String(watches.count), "workers": String(configuration.workers),
            "backends": pipeline.backends.names.joined(separator: ","), "pid": String(getpid()),
        ])

        for await signal in signals {
            if signal == .hangup {
                reload()
                continue
            }
            logger.notice("Shutdown requested", ["signal": signal.description])
            break
        }

        notify { try notifier.stopping() }
        intake.cancel()
        _ = queue.close()
        await finishWorkers(workers)
        status.cancel()
        recovery.cancel()
        writeStatus()
        logger.notice("Daemon stopped", ["jobs.succeeded": String(statistics.withLock { $0.succeeded })])
        return 0
    }

    // MARK: - Intake

    private func runIntake() async {
        await withTaskGroup(of: Void.self) { group in
            for (index, watch) in watches.enumerated() {
                group.addTask { [self] in
                    for await event in watch.monitor.intake() {
                        enqueue(event, watch: index)
                    }
                }
            }
        }
    }

    private func enqueue(_ event: IntakeEvent, watch: Int) {
        switch event {
        case .ready(let candidate):
            let key = watches[watch].folders.inbox + "/" + candidate.imagePath
            let isNew = statistics.withLock { $0.pending.insert(key).inserted }
            if isNew { queue.push(.candidate(watch: watch, candidate)) }
        case .rejected(let files, let reason):
            queue.push(.rejected(watch: watch, files: files, reason: reason.description))
        }
    }

    private func recoverClaims() {
        for (index, watch) in watches.enumerated() {
            do {
                for job in try watch.claimer.staleClaims() {
                    guard let adopted = try watch.claimer.adopt(job) else { continue }
                    logger.notice("Claim recovered", ["job.id": adopted.id, "watch.name": watch.folders.name])
                    queue.push(.claimed(watch: index, adopted))
                }
            } catch {
                logger.error("Claim recovery failed", ["watch.name": watch.folders.name, "error": "\(error)"])
            }
        }
    }

    /// Looks for claims left by dead processes every scan interval, so a job claimed by a second
    /// daemon on the same inbox that died is not stuck until a restart.
    private func runRecoveryLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int64(configuration.scanInterval * 1000)))
            guard !Task.isCancelled, !queue.isClosed else { return }
            recoverClaims()
        }
    }

    // MARK: - Workers

    private func runWorkers() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.workers {
                group.addTask { [self] in
                    while let item = await queue.next() {
                        await handle(item)
                    }
                }
            }
        }
    }

    /// Waits for running jobs up to the stop deadline, then cancels them (they return to their inbox).
    private func finishWorkers(_ workers: Task<Void, Never>) async {
        let deadline = Task { [stopDeadline] in
            try? await Task.sleep(for: stopDeadline)
            if !Task.isCancelled { workers.cancel() }
        }
        await workers.value
        deadline.cancel()
    }

    /// Sends a notification to systemd; a failure is logged and otherwise ignored, because the
    /// service works on without it (only `Type=notify` start-up would time out).
    func notify(_ send: () throws -> Bool) {
        do {
            _ = try send()
        } catch {
            logger.warning("Notification to systemd failed", ["error": "\(error)"])
        }
    }

    // MARK: - Reload

    private func reload() {
        notify { try notifier.reloading() }
        logger.notice("Reload requested")
        do {
            let fresh = try ConfigurationLoader.load(explicitPath: configPath)
            if fresh.watches != configuration.watches || fresh.backends != configuration.backends
                || fresh.workers != configuration.workers
            {
                logger.warning("Reload cannot change watches, backends or workers; restart the service to apply them")
            }
        } catch {
            logger.error("Configuration file is invalid; the running configuration stays", ["error": "\(error)"])
        }
        for watch in watches {
            watch.recipes.invalidate()
            watch.monitor.rescan()
        }
        notify { try notifier.ready(status: statusLine) }
        logger.notice("Recipes reloaded and inboxes rescanned")
    }
}
