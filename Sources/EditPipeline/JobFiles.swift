import DaemonSupport
import Foundation

/// The bytes and digests of a job's files, read once at the start of the job.
///
/// Paths named in a sidecar resolve relative to the sidecar and must be among the files the job
/// carries, so a sidecar can never read anything the hot folder did not claim with it.
struct JobFiles {
    struct Sidecar {
        var name: String
        var bytes: [UInt8]
    }

    private var contents: [String: [UInt8]] = [:]
    private(set) var entries: [JobLog.FileEntry] = []
    private(set) var sidecar: Sidecar?
    private let sidecarDirectory: String
    private let folder: String
    private let imageDigest: [UInt8]

    init(job: JobInput) throws(JobFailure) {
        for name in job.allNames {
            let path = job.directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw JobFailure(
                    stage: .intake,
                    message: "cannot read '\(name)' in the job folder '\(job.directory)'; check the daemon's permissions on it",
                    isTransient: true
                )
            }
            let bytes = [UInt8](data)
            contents[name] = bytes
            entries.append(JobLog.FileEntry(name: name, bytes: bytes.count, sha256: SHA256.hexDigest(bytes)))
        }
        imageDigest = SHA256.hash(contents[job.imageName] ?? [])
        if let sidecarName = job.sidecarName {
            sidecar = Sidecar(name: sidecarName, bytes: contents[sidecarName] ?? [])
        }
        folder = job.folder
        sidecarDirectory = job.sidecarName.map { ($0 as NSString).deletingLastPathComponent } ?? ""
    }

    func bytes(of name: String) throws(JobFailure) -> [UInt8] {
        guard let bytes = contents[name] else {
            throw JobFailure(stage: .intake, message: "'\(name)' is not part of this job")
        }
        return bytes
    }

    /// Returns the bytes of a file a sidecar names (`mask:`, `images:`), resolved relative to the sidecar.
    ///
    /// The claim keeps paths below the job's folder as they were and puts files from elsewhere in
    /// the inbox under `.inbox/`, so the path is resolved inbox-relative first and then mapped.
    func bytes(ofReferenced path: String) throws(JobFailure) -> [UInt8] {
        guard !path.hasPrefix("/") else {
            throw JobFailure(
                stage: .instruction,
                message: "\(sidecarLabel)'\(path)' is absolute; name files relative to the sidecar, inside the inbox"
            )
        }
        let joined = [folder, sidecarDirectory, path].filter { !$0.isEmpty }.joined(separator: "/")
        var components: [Substring] = []
        for component in joined.split(separator: "/") where component != "." {
            if component == ".." {
                guard !components.isEmpty else {
                    throw JobFailure(
                        stage: .instruction,
                        message: "\(sidecarLabel)'\(path)' leaves the inbox; name files relative to the sidecar, inside the inbox"
                    )
                }
                components.removeLast()
            } else {
                components.append(component)
            }
        }
        let inboxRelative = components.joined(separator: "/")
        // NOTE: this mapping repeats HotFolder's `Claimer.plannedFiles`; change both together.
        let prefix = folder.isEmpty ? "" : folder + "/"
        let claimed = inboxRelative.hasPrefix(prefix) ? String(inboxRelative.dropFirst(prefix.count)) : ".inbox/" + inboxRelative
        guard let bytes = contents[claimed] else {
            throw JobFailure(
                stage: .instruction,
                message: "\(sidecarLabel)'\(path)' did not arrive with the job; put it beside the sidecar "
                    + "before the sidecar wait ends, or correct the path"
            )
        }
        return bytes
    }

    /// The start of a message about a path in the sidecar, in the `file: error:` form of parse errors.
    private var sidecarLabel: String {
        sidecar.map { "\(($0.name as NSString).lastPathComponent): error: path " } ?? "path "
    }

    /// The seed used when the instruction gives none: derived from the image's bytes, so the same
    /// photo with the same instruction gives the same result on every run.
    var defaultSeed: UInt64 {
        imageDigest.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } & 0x7FFF_FFFF_FFFF_FFFF
    }
}
