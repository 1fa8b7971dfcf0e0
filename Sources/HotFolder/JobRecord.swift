import Foundation

/// One input file of a claimed job.
public struct ClaimedFile: Sendable, Codable, Hashable {
    public enum Role: String, Sendable, Codable {
        case image, sidecar, reference
    }

    public var role: Role
    /// Inbox-relative path the file had before the claim.
    public var original: String
    /// Path relative to the job folder.
    public var claimed: String
    /// True for a reference that other sidecars also name: the claim hard-linked it and left the original in place.
    public var linked: Bool
}

/// The contents of `job.json` in a claim folder.
public struct JobRecord: Sendable, Codable, Equatable {
    public var id: String
    /// Absolute path of the inbox root.
    public var inbox: String
    /// Inbox-relative folder of the image; "" for the inbox root.
    public var folder: String
    public var files: [ClaimedFile]
    public var imageIdentity: FileIdentity
    /// ISO 8601 time of the claim, in UTC.
    public var claimedAt: String
    public var attempt: Int
    /// Host name of the claiming machine; claims of other hosts on a shared folder are never judged stale here.
    public var ownerHost: String
    public var ownerPID: Int32
    /// Start time of the owner process in clock ticks after boot (field 22 of `/proc/<pid>/stat`).
    public var ownerStartTime: UInt64
    /// `/proc/sys/kernel/random/boot_id` when the claim was made.
    public var bootID: String
}

/// A job whose files are in `<state>/processing/<id>/`.
public struct ClaimedJob: Sendable, Equatable {
    public var record: JobRecord
    /// Absolute path of the claim folder.
    public var directory: String

    public init(record: JobRecord, directory: String) {
        self.record = record
        self.directory = directory
    }

    public var id: String { record.id }

    /// Absolute path of the claimed file that had the inbox-relative path `original`.
    public func claimedPath(of original: String) -> String? {
        record.files.first { $0.original == original }.map { directory + "/" + $0.claimed }
    }

    /// Absolute path of the claimed image.
    public var imagePath: String? {
        record.files.first { $0.role == .image }.map { directory + "/" + $0.claimed }
    }

    /// Absolute path of the claimed sidecar, if the job has one.
    public var sidecarPath: String? {
        record.files.first { $0.role == .sidecar }.map { directory + "/" + $0.claimed }
    }
}

/// Identity of the running process, used to tell live claim owners from dead ones.
struct ProcessIdentity: Equatable {
    var host: String
    var pid: Int32
    var startTime: UInt64
    var bootID: String

    static func current() -> ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(
            host: currentHost(),
            pid: pid,
            startTime: startTime(of: pid) ?? 0,
            bootID: currentBootID()
        )
    }

    static func currentHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads field 22 (`starttime`) of `/proc/<pid>/stat`; nil when the process does not exist.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let closing = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name start at field 3, so field 22 is index 19.
        let fields = text[text.index(after: closing)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func currentBootID() -> String {
        let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
        return text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// True while the process that wrote `record` still runs: same boot, pid alive and same start time.
    /// A claim from another host counts as alive, because this machine cannot see that host's processes.
    static func isAlive(_ record: JobRecord) -> Bool {
        guard record.ownerHost == currentHost() else { return true }
        guard record.bootID == currentBootID() else { return false }
        guard kill(record.ownerPID, 0) == 0 || errno == EPERM else { return false }
        return startTime(of: record.ownerPID) == record.ownerStartTime
    }
}

/// Makes a job id that sorts by claim time: UTC time to the millisecond, then 32 random bits against collisions.
func makeJobID(now: timespec = currentTime()) -> String {
    var seconds = now.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let stamp = String(
        format: "%04d%02d%02dT%02d%02d%02d.%03dZ",
        parts.tm_year + 1900,
        parts.tm_mon + 1,
        parts.tm_mday,
        parts.tm_hour,
        parts.tm_min,
        parts.tm_sec,
        Int(now.tv_nsec / 1_000_000)
    )
    return stamp + "-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
}

func currentTime() -> timespec {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return now
}

func iso8601(_ now: timespec) -> String {
    var seconds = now.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
        parts.tm_year + 1900,
        parts.tm_mon + 1,
        parts.tm_mday,
        parts.tm_hour,
        parts.tm_min,
        parts.tm_sec,
        Int(now.tv_nsec / 1_000_000)
    )
}
