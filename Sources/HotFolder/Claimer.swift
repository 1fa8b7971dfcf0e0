public import DaemonSupport
import Foundation

/// Claims jobs by renaming their files out of the inbox into `<state>/processing/<jobid>/`.
///
/// The rename of the image is the lock: of two claimers (threads or daemons) only one rename succeeds, and
/// the other gets `ENOENT` and returns nil. Both folders must be on one file system for `rename` to be atomic.
public struct Claimer: Sendable {
    public let inbox: String
    public let stateDirectory: String
    let logger: Logger
    let owner: ProcessIdentity
    /// Creation time of this claimer in nanoseconds since the Unix epoch; claim folders without a record
    /// that are older belong to an earlier process.
    let createdAt: Int64

    public var processingDirectory: String { stateDirectory + "/processing" }

    /// Name prefix of a finished job's claim folder that only waits for removal; recovery removes it.
    public static let retiredPrefix = ".retired-"

    /// Creates `<state>/processing` and checks that it is on the inbox's file system.
    public init(inbox: String, stateDirectory: String, logger: Logger) throws(HotFolderError) {
        self.inbox = inbox
        self.stateDirectory = stateDirectory
        self.logger = logger
        self.owner = ProcessIdentity.current()
        let now = currentTime()
        self.createdAt = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        try makeDirectories(processingDirectory)
        let inboxDevice = try FileStatus.lstat(inbox)?.device
        let stateDevice = try FileStatus.lstat(processingDirectory)?.device
        guard inboxDevice == stateDevice else { throw .crossDevice(inbox: inbox, stateDirectory: stateDirectory) }
    }

    /// Claims `candidate`, or returns nil when another worker claimed its image first or a file of it vanished.
    ///
    /// `job.json` is written (temp file, fsync, rename) before any input moves, so a crash at any later step
    /// leaves a record that `staleClaims()` finds.
    public func claim(_ candidate: JobCandidate, attempt: Int = 1) throws(HotFolderError) -> ClaimedJob? {
        let now = currentTime()
        let id = makeJobID(now: now)
        let directory = processingDirectory + "/" + id
        let record = JobRecord(
            id: id,
            inbox: inbox,
            folder: candidate.folder,
            files: plannedFiles(candidate),
            imageIdentity: candidate.identity,
            claimedAt: iso8601(now),
            attempt: attempt,
            ownerHost: owner.host,
            ownerPID: owner.pid,
            ownerStartTime: owner.startTime,
            bootID: owner.bootID
        )
        try makeDirectories(directory)
        do {
            try writeRecord(record, in: directory)
        } catch {
            // Nothing has moved yet, so the empty folder goes and the files wait in the inbox, for
            // example until a full disk has space again.
            rmdir(directory)
            throw error
        }
        let job = ClaimedJob(record: record, directory: directory)

        var done: [ClaimedFile] = []
        for file in record.files {
            do {
                try claimFile(file, into: directory)
                done.append(file)
            } catch .systemCall(_, _, let code) where code == ENOENT {
                logger.debug("Claim lost", ["job.id": id, "file.path": file.original])
                rollBack(done, job: job)
                return nil
            } catch {
                rollBack(done, job: job)
                throw error
            }
        }
        syncDirectory(directory)
        logger.debug("Job claimed", ["job.id": id, "file.path": candidate.imagePath])
        return job
    }

    /// Moves the job's files back to their inbox paths and removes the claim folder, for example on SIGTERM.
    /// A file whose inbox path is taken again is not overwritten: the call throws `destinationExists`.
    public func releaseToInbox(_ job: ClaimedJob) throws(HotFolderError) {
        for file in job.record.files {
            let claimed = job.directory + "/" + file.claimed
            guard try FileStatus.lstat(claimed) != nil else { continue }
            if file.linked {
                unlink(claimed)
                continue
            }
            let original = joinPath(job.record.inbox, file.original)
            try makeDirectories(splitPath(original).folder)
            try moveWithoutReplacing(claimed, to: original)
        }
        try? FileManager.default.removeItem(atPath: job.directory)
        logger.info("Job released to inbox", ["job.id": job.id])
    }

    /// Lists claims whose owner is gone: another boot, a dead pid, or a pid reused by a younger process.
    /// Claims of live owners, including other daemons on the same folder, are left out. An unreadable
    /// `job.json` is logged and skipped, so one damaged claim does not block the recovery of the others.
    public func staleClaims() throws(HotFolderError) -> [ClaimedJob] {
        guard let names = try listDirectory(processingDirectory) else { return [] }
        var stale: [ClaimedJob] = []
        for name in names.sorted() {
            let directory = processingDirectory + "/" + name
            if name.hasPrefix(Self.retiredPrefix) {
                try? FileManager.default.removeItem(atPath: directory)
                continue
            }
            do {
                guard let record = try readRecord(in: directory) else {
                    removeIfAbandoned(directory)
                    continue
                }
                if !ProcessIdentity.isAlive(record) { stale.append(ClaimedJob(record: record, directory: directory)) }
            } catch {
                logger.error("Claim record unreadable, claim skipped", ["job.path": directory, "error": "\(error)"])
            }
        }
        return stale
    }

    /// Reads `job.json` of one claim folder; nil when the folder has none.
    public func readRecord(in directory: String) throws(HotFolderError) -> JobRecord? {
        let path = directory + "/job.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(JobRecord.self, from: data)
        } catch {
            throw .invalidJobRecord(path: path, reason: "\(error)")
        }
    }
}
