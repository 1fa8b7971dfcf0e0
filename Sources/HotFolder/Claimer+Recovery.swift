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
        return adopted
    }

    /// Rewrites `job.json` of a claim, for example with a new attempt count before a retry.
    public func updateRecord(_ job: ClaimedJob) throws(HotFolderError) {
        try writeRecord(job.record, in: job.directory)
    }
}
