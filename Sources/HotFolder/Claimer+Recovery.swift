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
