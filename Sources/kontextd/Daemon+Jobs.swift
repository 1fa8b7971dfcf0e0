import DaemonSupport
import EditPipeline
import FluxEngine
import Foundation
import HotFolder
import Recipes
import Synchronization

extension Daemon {
    func handle(_ item: WorkItem) async {
        switch item {
        case .candidate(let index, let candidate):
            let watch = watches[index]
            defer { _ = statistics.withLock { $0.pending.remove(watch.folders.inbox + "/" + candidate.imagePath) } }
            let job: ClaimedJob?
            do {
                job = try watch.claimer.claim(candidate)
            } catch {
                logger.error("Claim failed", ["file.path": candidate.imagePath, "error": "\(error)"])
                return
            }
            guard let job else { return }
            await process(job, watch: watch, index: index)
        case .claimed(let index, let job):
            await process(job, watch: watches[index], index: index)
        case .rejected(let index, let files, let reason):
            rejectFiles(files, reason: reason, watch: watches[index])
        }
    }

    /// Runs one claimed job and delivers its outcome; transient failures are retried with backoff.
    func process(_ job: ClaimedJob, watch: WatchRuntime, index: Int) async {
        let input = JobInput(claimed: job, watch: watch.folders.name)
        let jobLogger = logger.with(["job.id": job.id, "watch.name": watch.folders.name, "file.path": job.record.files.first?.original ?? ""])
        statistics.withLock { $0.started(job.id, image: input.imageName, watch: watch.folders.name) }
        defer {
            statistics.withLock { $0.finished(job.id) }
            EngineMemory.releaseFreedMemory()
        }

        do {
            if try watch.delivery.resume(claimFolder: job.directory) {
                jobLogger.info("Job delivery completed after restart")
                statistics.withLock { $0.succeeded += 1 }
                return
            }
            if let folder = try watch.delivery.resumeFailure(job: input) {
                jobLogger.info("Job failure delivery completed after restart", ["failed.path": folder])
                return
            }
        } catch {
            jobLogger.error("Job delivery failed", ["error": "\(error)"])
            retryOrFail(job, index: index, failure: error, input: input, result: .failed(input, error), watch: watch, logger: jobLogger)
            return
        }

        let result: PipelineResult
        switch watch.recipes.cascade(for: job.record.folder) {
        case .success(let cascade):
            jobLogger.debug("Job started")
            result = await pipeline.run(input, recipe: cascade.instruction, recipeFiles: cascade.files)
        case .failure(let error):
            result = PipelineResult.failed(input, JobFailure(stage: .instruction, message: "\(error)"))
        }

        if Task.isCancelled {
            releaseToInbox(job, watch: watch, logger: jobLogger)
            return
        }
        if let failure = result.failure {
            retryOrFail(job, index: index, failure: failure, input: input, result: result, watch: watch, logger: jobLogger)
            return
        }
        deliverSuccess(result, input: input, job: job, index: index, watch: watch, logger: jobLogger)
    }

    /// Retries a transient failure while attempts remain; otherwise moves the job to the failed folder.
    private func retryOrFail(
        _ job: ClaimedJob,
        index: Int,
        failure: JobFailure,
        input: JobInput,
        result: PipelineResult,
        watch: WatchRuntime,
        logger: Logger
    ) {
        if failure.isTransient && input.attempt <= configuration.retry.attempts {
            logger.warning("Job will be retried", ["attempt": String(input.attempt), "error": failure.description])
            scheduleRetry(job, index: index, failure: failure, logger: logger)
            return
        }
        var final = failure
        if failure.isTransient {
            final.message = "gave up after \(input.attempt) attempts; the last error was: " + failure.message
        }
        var failedResult = result
        failedResult.log.record(final)
        deliverFailure(failedResult, failure: final, input: input, watch: watch, logger: logger)
    }

    private func deliverSuccess(_ result: PipelineResult, input: JobInput, job: ClaimedJob, index: Int, watch: WatchRuntime, logger: Logger) {
        do {
            let outputs = try watch.delivery.deliverSuccess(result, job: input)
            statistics.withLock { $0.succeeded += 1 }
            // Stages named "backend: ..." are a backend's own breakdown of the "backend" stage.
            let seconds = result.log.timings.filter { !$0.stage.hasPrefix("backend: ") }.reduce(0) { $0 + $1.seconds }
            logger.info("Job finished", ["outputs": outputs.joined(separator: ","), "seconds": String(format: "%.2f", seconds)])
        } catch {
            logger.error("Job delivery failed", ["error": "\(error)"])
            retryOrFail(job, index: index, failure: error, input: input, result: result, watch: watch, logger: logger)
        }
    }

    private func deliverFailure(_ result: PipelineResult, failure: JobFailure, input: JobInput, watch: WatchRuntime, logger: Logger) {
        do {
            let folder = try watch.delivery.deliverFailure(result, failure: failure, job: input)
            statistics.withLock { $0.recordFailure(input, reason: failure.description) }
            logger.error("Job failed", ["stage": failure.stage.rawValue, "error": failure.message, "failed.path": folder])
        } catch {
            logger.critical("Failed job could not be moved to the failed folder; it stays in the state folder", [
                "error": "\(error)", "claim.path": input.directory,
            ])
        }
    }

    /// Retries a job after an exponential delay; the job stays claimed in the state folder meanwhile,
    /// so a restart in between recovers it.
    private func scheduleRetry(_ job: ClaimedJob, index: Int, failure: any Error, logger: Logger) {
        var next = job
        next.record.attempt += 1
        try? watches[index].claimer.updateRecord(next)
        let retry = configuration.retry
        let delay = min(retry.maxDelay, retry.initialDelay * pow(2, Double(max(0, job.record.attempt - 1))))
        statistics.withLock { $0.retrying += 1 }
        logger.info("Job retry scheduled", ["delay.seconds": String(format: "%.1f", delay), "error": "\(failure)"])
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            statistics.withLock { $0.retrying -= 1 }
            queue.push(.claimed(watch: index, next))
        }
    }

    private func releaseToInbox(_ job: ClaimedJob, watch: WatchRuntime, logger: Logger) {
        do {
            try watch.claimer.releaseToInbox(job)
        } catch {
            logger.error("Job could not be returned to the inbox; it stays in the state folder and runs after a restart", [
                "error": "\(error)",
            ])
        }
    }

    /// Moves inbox files that cannot become a job into the failed folder with a report.
    func rejectFiles(_ files: [String], reason: String, watch: WatchRuntime) {
        let rejection = RejectedFiles(files: files, reason: reason, folders: watch.folders)
        do {
            guard let folder = try rejection.moveToFailed() else { return }
            statistics.withLock { $0.rejected += 1 }
            logger.warning("Files rejected", ["files": files.joined(separator: ","), "reason": reason, "failed.path": folder])
        } catch {
            logger.error("Rejected files could not be moved", ["files": files.joined(separator: ","), "error": "\(error)"])
        }
    }
}

extension JobInput {
    /// The pipeline's view of a claimed job: paths relative to the claim folder.
    init(claimed job: ClaimedJob, watch: String) {
        let files = job.record.files
        self.init(
            id: job.id,
            directory: job.directory,
            imageName: files.first { $0.role == .image }?.claimed ?? "",
            sidecarName: files.first { $0.role == .sidecar }?.claimed,
            otherNames: files.filter { $0.role == .reference }.map(\.claimed),
            watch: watch,
            folder: job.record.folder,
            attempt: job.record.attempt
        )
    }
}

extension PipelineResult {
    /// A result for a job that failed before the pipeline could start.
    static func failed(_ job: JobInput, _ failure: JobFailure) -> PipelineResult {
        var log = JobLog(jobID: job.id, watch: job.watch, folder: job.folder, attempt: job.attempt, startedAt: Date())
        log.record(failure)
        log.finishedAt = Date()
        return PipelineResult(outputs: [], log: log, failure: failure)
    }
}
