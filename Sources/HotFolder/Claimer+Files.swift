import DaemonSupport
import Foundation

/// File moves behind `Claimer`.
extension Claimer {
    /// Plans where each file goes in the claim folder. Image and sidecar go to its top. References keep their path
    /// relative to the image's folder, so a sidecar's relative paths still resolve. References from outside that
    /// folder go below `.inbox/` with their inbox-relative path.
    func plannedFiles(_ candidate: JobCandidate) -> [ClaimedFile] {
        var files = [ClaimedFile(role: .image, original: candidate.imagePath, claimed: candidate.image, linked: false)]
        if let sidecar = candidate.sidecar, let path = candidate.sidecarPath {
            files.append(ClaimedFile(role: .sidecar, original: path, claimed: sidecar, linked: false))
        }
        let prefix = candidate.folder.isEmpty ? "" : candidate.folder + "/"
        for reference in candidate.references where !files.contains(where: { $0.original == reference }) {
            let claimed =
                reference.hasPrefix(prefix) ? String(reference.dropFirst(prefix.count)) : ".inbox/" + reference
            let linked = candidate.sharedReferences.contains(reference)
            files.append(ClaimedFile(role: .reference, original: reference, claimed: claimed, linked: linked))
        }
        return files
    }

    func claimFile(_ file: ClaimedFile, into directory: String) throws(HotFolderError) {
        let source = joinPath(inbox, file.original)
        let destination = directory + "/" + file.claimed
        if file.claimed.contains("/") { try makeDirectories(splitPath(destination).folder) }
        if file.linked {
            guard link(source, destination) == 0 else { throw .systemCall(call: "link", path: source, errno: errno) }
            return
        }
        guard rename(source, destination) == 0 else {
            let code = errno
            if code == EXDEV { throw .crossDevice(inbox: inbox, stateDirectory: stateDirectory) }
            throw .systemCall(call: "rename", path: source, errno: code)
        }
    }

    /// Puts back the files already claimed and removes the claim folder after a lost race.
    func rollBack(_ files: [ClaimedFile], job: ClaimedJob) {
        for file in files.reversed() {
            let claimed = job.directory + "/" + file.claimed
            if file.linked {
                unlink(claimed)
            } else {
                do {
                    try moveWithoutReplacing(claimed, to: joinPath(inbox, file.original))
                } catch {
                    logger.error(
                        "Claim rollback failed",
                        ["job.id": job.id, "file.path": file.original, "error": "\(error)"]
                    )
                    return
                }
            }
        }
        try? FileManager.default.removeItem(atPath: job.directory)
    }

    /// Moves `source` to `destination` unless `destination` exists: `link` fails with EEXIST instead of replacing.
    func moveWithoutReplacing(_ source: String, to destination: String) throws(HotFolderError) {
        guard link(source, destination) == 0 else {
            let code = errno
            if code == EEXIST { throw .destinationExists(path: destination) }
            throw .systemCall(call: "link", path: destination, errno: code)
        }
        guard unlink(source) == 0 else { throw .systemCall(call: "unlink", path: source, errno: errno) }
    }

    /// Writes `job.json` through a temporary file, fsync and rename, so readers never see half a record.
    func writeRecord(_ record: JobRecord, in directory: String) throws(HotFolderError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(record)
        } catch {
            throw .invalidJobRecord(path: directory + "/job.json", reason: "\(error)")
        }
        let temporary = directory + "/.job.json.tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .systemCall(call: "open", path: temporary, errno: errno) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else {
            let code = errno
            unlink(temporary)
            throw .systemCall(call: "write", path: temporary, errno: code)
        }
        guard rename(temporary, directory + "/job.json") == 0 else {
            let code = errno
            unlink(temporary)
            throw .systemCall(call: "rename", path: temporary, errno: code)
        }
        syncDirectory(directory)
    }

    func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// Creates `path` and missing parents with mode 0755, like `mkdir -p`.
func makeDirectories(_ path: String) throws(HotFolderError) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        prefix += "/" + component
        guard mkdir(prefix, 0o755) != 0 else { continue }
        let code = errno
        guard code == EEXIST else { throw .systemCall(call: "mkdir", path: prefix, errno: code) }
    }
}
