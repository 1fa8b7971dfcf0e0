import DaemonSupport
public import Recipes
import Foundation

/// Puts a finished job's results in the outbox, or its files in the failed folder, without ever
/// leaving a partial file or losing an original.
///
/// Success is a two-phase commit. Phase one writes every output and the job log to temporary names in
/// the outbox and flushes them; then a delivery plan (temporary name -> final name) is written
/// durably into the job's claim folder. Phase two renames the files into place without replacing
/// anything, moves the originals and removes the claim. A daemon that dies in phase two finds the
/// plan on restart and finishes it (`resume`), so a job is never run twice. One that dies in phase
/// one finds no plan and runs the job again, which overwrites its own stray temporary files.
public struct JobDelivery: Sendable {
    public let watch: WatchFolders
    public let originals: OriginalsPolicy

    static let planName = "delivery.json"

    public init(watch: WatchFolders, originals: OriginalsPolicy) {
        self.watch = watch
        self.originals = originals
    }

    struct Plan: Codable {
        struct Move: Codable {
            var temporary: String
            var final: String
        }

        var moves: [Move]
        var originalsFolder: String?
        var deleteOriginals: Bool
        var originalNames: [String]
    }

    /// Writes the outputs and the job log, moves the originals, and removes the claim folder.
    /// Returns the paths of the outputs.
    public func deliverSuccess(_ result: PipelineResult, job: JobInput) throws(JobFailure) -> [String] {
        let plan = try prepareSuccess(result, job: job)
        try finish(plan, claimFolder: job.directory)
        return plan.moves.dropLast().map(\.final)
    }

    /// Phase one: writes every output and the job log to temporary names and records the plan.
    func prepareSuccess(_ result: PipelineResult, job: JobInput) throws(JobFailure) -> Plan {
        let folder = Self.join(watch.outbox, job.folder)
        var log = result.log
        var moves: [Plan.Move] = []
        do {
            try FileOperations.makeDirectories(folder)
            var reserved = Set<String>()
            for output in result.outputs {
                let final = try FileOperations.availableName(in: folder, preferred: output.name, reserved: reserved)
                reserved.insert(final)
                let temporary = try FileOperations.writeTemporary(output.bytes, in: folder, jobID: job.id, index: moves.count)
                moves.append(Plan.Move(temporary: temporary, final: folder + "/" + final))
                log.outputs.append(
                    JobLog.FileEntry(name: final, bytes: output.bytes.count, sha256: SHA256.hexDigest(output.bytes))
                )
            }
            let logName = try FileOperations.availableName(
                in: folder,
                preferred: OutputNaming.sanitized(OutputNaming.stem(of: (job.imageName as NSString).lastPathComponent)) + ".job.json",
                suffix: ".job.json",
                reserved: reserved
            )
            let logTemporary = try FileOperations.writeTemporary(log.encoded(), in: folder, jobID: job.id, index: moves.count)
            moves.append(Plan.Move(temporary: logTemporary, final: folder + "/" + logName))
        } catch {
            for move in moves { FileOperations.removeIfPresent(move.temporary) }
            throw JobFailure(stage: .deliver, message: "\(error)", isTransient: error.isTransient)
        }

        let plan = Plan(
            moves: moves,
            originalsFolder: originalsFolder(for: job),
            deleteOriginals: originals == .delete,
            originalNames: job.allNames
        )
        do {
            try FileOperations.writeDurably(JSONEncoder().encode(plan), to: job.directory + "/" + Self.planName)
        } catch {
            for move in moves { FileOperations.removeIfPresent(move.temporary) }
            throw JobFailure(stage: .deliver, message: "\(error)", isTransient: true)
        }
        return plan
    }

    /// Completes a delivery whose plan was written before the daemon stopped. Returns false when the
    /// claim folder contains no plan, because then the job must run again.
    public func resume(claimFolder: String) throws(JobFailure) -> Bool {
        let path = claimFolder + "/" + Self.planName
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: data)
        } catch {
            throw JobFailure(stage: .deliver, message: "the delivery plan '\(path)' is unreadable: \(error)")
        }
        try finish(plan, claimFolder: claimFolder)
        return true
    }

    func finish(_ plan: Plan, claimFolder: String) throws(JobFailure) {
        do {
            for move in plan.moves where FileOperations.exists(move.temporary) {
                try FileOperations.renameNoReplace(move.temporary, to: move.final)
            }
            if let first = plan.moves.first {
                try FileOperations.syncDirectory((first.final as NSString).deletingLastPathComponent)
            }
            try disposeOfOriginals(plan, claimFolder: claimFolder)
            try FileOperations.retireClaim(claimFolder)
        } catch {
            throw JobFailure(stage: .deliver, message: "\(error)", isTransient: error.isTransient)
        }
    }

    private func originalsFolder(for job: JobInput) -> String? {
        switch originals {
        case .keep: Self.join(Self.join(watch.outbox, job.folder), "originals/" + job.id)
        case .delete: nil
        case .moveTo(let root): Self.join(Self.join(root, job.folder), job.id)
        }
    }

    private func disposeOfOriginals(_ plan: Plan, claimFolder: String) throws(FileOperationError) {
        if let folder = plan.originalsFolder {
            try FileOperations.makeDirectories(folder)
            for name in plan.originalNames where FileOperations.exists(claimFolder + "/" + name) {
                let target = folder + "/" + name
                try FileOperations.makeDirectories((target as NSString).deletingLastPathComponent)
                try FileOperations.move(claimFolder + "/" + name, to: target)
            }
            try FileOperations.syncDirectory(folder)
        }
        // With `delete`, removing the claim folder removes the originals too.
    }

    // MARK: - Failure

    /// Moves the job's files into `<failed>/<folder>/<job id>/` with an error report and the job log.
    /// Returns that folder.
    public func deliverFailure(_ result: PipelineResult, failure: JobFailure, job: JobInput) throws(JobFailure) -> String {
        let folder = failedFolder(for: job)
        do {
            try FileOperations.makeDirectories(folder)
            removeStrayTemporaries(in: folder)
            try FileOperations.writeDurably(Data(ErrorReport(failure: failure, job: job).text.utf8), to: pendingReportPath(for: job))
            try FileOperations.writeDurably(Data(result.log.encoded()), to: folder + "/" + failedImageName(job) + ".job.json")
            try moveInputs(of: job, to: folder)
        } catch {
            throw JobFailure(stage: .deliver, message: "\(error)", isTransient: true)
        }
        return folder
    }

    /// Completes a failure delivery that a crash cut short. The report is written under a hidden
    /// name before any input moves, so its presence means the job already failed for good: the
    /// remaining inputs follow it, and the job does not run again. Returns the failed folder, or nil
    /// when there is no report.
    public func resumeFailure(job: JobInput) throws(JobFailure) -> String? {
        guard FileOperations.exists(pendingReportPath(for: job)) || FileOperations.exists(errorReportPath(for: job)) else {
            return nil
        }
        let folder = failedFolder(for: job)
        do {
            removeStrayTemporaries(in: folder)
            try moveInputs(of: job, to: folder)
        } catch {
            throw JobFailure(stage: .deliver, message: "\(error)", isTransient: true)
        }
        return folder
    }

    private func failedFolder(for job: JobInput) -> String {
        Self.join(Self.join(watch.failed, job.folder), job.id)
    }

    private func failedImageName(_ job: JobInput) -> String {
        OutputNaming.shortened((job.imageName as NSString).lastPathComponent)
    }

    private func errorReportPath(for job: JobInput) -> String {
        failedFolder(for: job) + "/" + failedImageName(job) + ".error.txt"
    }

    /// Returns where the report waits while the inputs move. `kontextd retry` and people watching the failed
    /// folder take a visible `.error.txt` to mean the folder is complete, so it appears last.
    private func pendingReportPath(for job: JobInput) -> String {
        failedFolder(for: job) + "/.kontextd-report-" + failedImageName(job) + ".error.txt.pending"
    }

    private func moveInputs(of job: JobInput, to folder: String) throws(FileOperationError) {
        for name in job.allNames where FileOperations.exists(job.directory + "/" + name) {
            let target = folder + "/" + name
            try FileOperations.makeDirectories((target as NSString).deletingLastPathComponent)
            try FileOperations.move(job.directory + "/" + name, to: target)
        }
        if FileOperations.exists(pendingReportPath(for: job)) {
            try FileOperations.move(pendingReportPath(for: job), to: errorReportPath(for: job))
        }
        try FileOperations.syncDirectory(folder)
        try FileOperations.retireClaim(job.directory)
    }

    /// Removes the temporary files of `writeDurably` that a crash left in this job's failed folder.
    private func removeStrayTemporaries(in folder: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(".kontextd-") && name.hasSuffix(".tmp") {
            FileOperations.removeIfPresent(folder + "/" + name)
        }
    }

    static func join(_ base: String, _ relative: String) -> String {
        relative.isEmpty ? base : base + "/" + relative
    }
}

/// The human-readable report beside a failed job's files.
struct ErrorReport {
    var failure: JobFailure
    var job: JobInput

    var text: String {
        """
        kontextd could not process this job.

        Job:     \(job.id)
        Image:   \(job.imageName)
        Sidecar: \(job.sidecarName ?? "none")
        Files:   \(job.allNames.joined(separator: ", "))
        Stage:   \(failure.stage.rawValue)
        Attempt: \(job.attempt)

        What failed:
        \(failure.message)

        To retry, fix the cause and run `kontextd retry \(job.id)`, which puts every file back where it
        came from, or move the files back into the inbox folder yourself, the image last.
        \(outsideFilesNote)
        """
    }

    /// Explains the hidden `.inbox/` folder when the job used files from elsewhere in the inbox.
    private var outsideFilesNote: String {
        guard let example = job.allNames.first(where: { $0.hasPrefix(".inbox/") }) else { return "" }
        return """

            Files under `.inbox/` (a hidden folder here) came from elsewhere in the inbox: move
            `\(example)` back to `\(example.dropFirst(".inbox/".count))` at the top of the inbox.

            """
    }
}
