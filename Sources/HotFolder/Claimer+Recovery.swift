import DaemonSupport
import Foundation

extension Claimer {
    /// Takes over a stale claim for this process, or returns nil when another process took it first.
    ///
    /// The claim folder is renamed to `<job id>~<random>`; that rename is the lock, as the image rename
    /// is for a fresh claim. The record then names this process as the owner. A process that dies
    /// between the two steps leaves a claim whose record still names a dead owner, which the next
    /// start-up adopts again.
    public func adopt(_ job: ClaimedJob) throws(HotFolderError) -> ClaimedJob? {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let target = processingDirectory + "/" + job.id + "~" + suffix
        guard rename(job.directory, target) == 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw .systemCall(call: "rename", path: job.directory, errno: code)
        }
        var record = job.record
        record.ownerPID = owner.pid
        record.ownerStartTime = owner.startTime
        record.bootID = owner.bootID
        record.ownerHost = owner.host
        let adopted = ClaimedJob(record: record, directory: target)
        try updateRecord(adopted)
        completeClaim(adopted)
        return adopted
    }

    /// Moves in the files that a claim cut short by a crash left in the inbox.
    ///
    /// `claim` renames the image first and the sidecar and references after it, and `releaseToInbox`
    /// moves them back one by one, so a process killed in between leaves part of the job in the inbox.
    /// Without this step the job would run without its sidecar while the sidecar failed as an orphan.
    /// A file that is neither in the claim nor in the inbox stays missing, and the job fails on it.
    func completeClaim(_ job: ClaimedJob) {
        for file in job.record.files {
            let claimed = job.directory + "/" + file.claimed
            let original = joinPath(inbox, file.original)
            guard Self.isMissing(claimed), !Self.isMissing(original) else { continue }
            do {
                try claimFile(file, into: job.directory)
                logger.notice("Claim completed after restart", ["job.id": job.id, "file.path": file.original])
            } catch {
                logger.error("Claim could not be completed", ["job.id": job.id, "file.path": file.original, "error": "\(error)"])
            }
        }
    }

    /// Nanoseconds after which a claim folder with neither `job.json` nor a readable `.job.json.tmp` counts as
    /// abandoned even when this process is older than it. A live claimer writes its record within milliseconds.
    static let abandonedClaimAge: Int64 = 60 * 1_000_000_000

    /// Removes a claim folder without `job.json`, which a claimer killed while writing the record leaves.
    ///
    /// Inputs move only after `job.json` is in place, so such a folder contains at most `.job.json.tmp` and
    /// removing it loses nothing. It is removed when that file names an owner that is gone, or, when the
    /// file is missing, empty or cut short, once the folder is older than this claimer or than
    /// `abandonedClaimAge`. Removing a live claimer's folder by mistake is safe too: its next step fails
    /// with ENOENT before any input has moved, and the image stays in the inbox for the next scan.
    func removeIfAbandoned(_ directory: String) {
        guard let names = try? listDirectory(directory), names.allSatisfy({ $0 == ".job.json.tmp" }) else { return }
        let temporary = directory + "/.job.json.tmp"
        if let data = FileManager.default.contents(atPath: temporary), let record = try? JSONDecoder().decode(JobRecord.self, from: data) {
            guard !ProcessIdentity.isAlive(record) else { return }
        } else {
            guard let status = try? FileStatus.lstat(directory) else { return }
            let now = currentTime()
            let age = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - status.identity.modificationTime
            guard status.identity.modificationTime < createdAt || age > Self.abandonedClaimAge else { return }
        }
        unlink(temporary)
        guard rmdir(directory) == 0 else {
            logger.error("Abandoned claim folder could not be removed", ["job.path": directory, "errno": String(errno)])
            return
        }
        logger.notice("Abandoned claim folder removed", ["job.path": directory])
    }

    /// True only when `lstat` reports that nothing exists at `path`; any other error counts as present.
    private static func isMissing(_ path: String) -> Bool {
        do {
            return try FileStatus.lstat(path) == nil
        } catch {
            return false
        }
    }

    /// Rewrites `job.json` of a claim, for example with a new attempt count before a retry.
    public func updateRecord(_ job: ClaimedJob) throws(HotFolderError) {
        try writeRecord(job.record, in: job.directory)
    }
}
