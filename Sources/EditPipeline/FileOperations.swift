import Foundation
import HotFolder
#if canImport(Glibc)
import Glibc
#endif

/// A failed file-system call, with the path and the errno it returned.
struct FileOperationError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var code: Int32

    var description: String {
        "\(operation) '\(path)' failed: \(String(cString: strerror(code)))"
            + (code == ENOSPC ? "; free space on that file system, the job is retried" : "")
    }

    /// Full disks, quotas and I/O hiccups pass, so the job waits and tries again; others (a name
    /// too long, no permission) need a person.
    var isTransient: Bool {
        [ENOSPC, EDQUOT, EIO, EAGAIN, ENFILE, EMFILE, ETIMEDOUT, EBUSY].contains(code)
    }
}

extension Error {
    var isTransient: Bool { (self as? FileOperationError)?.isTransient ?? false }
}

/// The file-system steps of delivery: durable writes, renames that never replace, directory syncs.
enum FileOperations {
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func makeDirectories(_ path: String) throws(FileOperationError) {
        var components: [String] = []
        for component in path.split(separator: "/") {
            components.append(String(component))
            let partial = "/" + components.joined(separator: "/")
            if mkdir(partial, 0o775) != 0 && errno != EEXIST {
                throw FileOperationError(operation: "mkdir", path: partial, code: errno)
            }
        }
    }

    /// `preferred`, or `stem-2.ext`, `stem-3.ext`, … for the first name that is free in `folder`.
    /// `suffix` is the part kept at the end (by default the last extension, such as `.jpg`).
    static func availableName(
        in folder: String,
        preferred: String,
        suffix explicitSuffix: String? = nil,
        reserved: Set<String>
    ) throws(FileOperationError) -> String {
        let suffix = explicitSuffix ?? String(preferred.dropFirst(OutputNaming.stem(of: preferred).count))
        let stem = String(preferred.dropLast(suffix.count))
        var candidate = preferred
        var version = 1
        while exists(folder + "/" + candidate) || reserved.contains(candidate) {
            version += 1
            guard version < 100_000 else {
                throw FileOperationError(operation: "choose a free name for", path: folder + "/" + preferred, code: EEXIST)
            }
            candidate = "\(stem)-\(version)\(suffix)"
        }
        return candidate
    }

    /// Writes `bytes` to a hidden temporary name in `folder` and flushes it; returns the path.
    ///
    /// The name is built from the job id and `index`, not from the final name, so it stays short
    /// even when the final name is close to the file system's 255-byte limit.
    static func writeTemporary(_ bytes: [UInt8], in folder: String, jobID: String, index: Int) throws(FileOperationError) -> String {
        let path = folder + "/.kontextd-" + jobID + "-\(index).tmp"
        // A file of this name can only be left over from an earlier attempt of the same job.
        unlink(path)
        try write(bytes, to: path, exclusive: true)
        return path
    }

    /// Replaces the file at `path` with `data` atomically and durably (temporary file, fsync, rename, directory fsync).
    static func writeDurably(_ data: Data, to path: String) throws(FileOperationError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/.kontextd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        try write([UInt8](data), to: temporary, exclusive: false)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileOperationError(operation: "rename", path: path, code: code)
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    private static func write(_ bytes: [UInt8], to path: String, exclusive: Bool) throws(FileOperationError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let descriptor = open(path, flags, 0o664)
        guard descriptor >= 0 else { throw FileOperationError(operation: "create", path: path, code: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, bytes.count - written)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                close(descriptor)
                unlink(path)
                throw FileOperationError(operation: "write", path: path, code: code)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            unlink(path)
            throw FileOperationError(operation: "fsync", path: path, code: code)
        }
        close(descriptor)
    }

    /// Renames without ever replacing an existing file.
    ///
    /// `link` fails with EEXIST when the target exists, which is the no-replace guarantee; the source
    /// name is removed afterwards. Running it again after a crash between the two steps finds both
    /// names on one inode and only removes the source.
    static func renameNoReplace(_ source: String, to target: String) throws(FileOperationError) {
        if link(source, target) == 0 {
            unlink(source)
            return
        }
        let code = errno
        if code == EEXIST && sameFile(source, target) {
            unlink(source)
            return
        }
        throw FileOperationError(operation: "rename to", path: target, code: code)
    }

    private static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat()
        var b = stat()
        guard lstat(first, &a) == 0, lstat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Moves a file without replacing; across file systems it copies, flushes, then removes the source.
    static func move(_ source: String, to target: String) throws(FileOperationError) {
        do {
            try renameNoReplace(source, to: target)
        } catch where error.code == EXDEV {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw FileOperationError(operation: "read", path: source, code: errno)
            }
            let temporary = target + ".tmp-\(getpid())"
            try write([UInt8](data), to: temporary, exclusive: true)
            try renameNoReplace(temporary, to: target)
            unlink(source)
        }
    }

    static func syncDirectory(_ path: String) throws(FileOperationError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileOperationError(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileOperationError(operation: "fsync", path: path, code: errno) }
    }

    /// Removes a finished job's claim folder. The folder is first renamed to a `Claimer.retiredPrefix`
    /// name in one step, because a crash halfway through a plain recursive removal could delete the
    /// delivery plan and keep `job.json`, and recovery would then run the finished job again.
    static func retireClaim(_ path: String) throws(FileOperationError) {
        let folder = (path as NSString).deletingLastPathComponent
        let retired = folder + "/" + Claimer.retiredPrefix + (path as NSString).lastPathComponent
        guard rename(path, retired) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw FileOperationError(operation: "rename", path: path, code: code)
        }
        try removeTree(retired)
    }

    static func removeTree(_ path: String) throws(FileOperationError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            guard exists(path) else { return }
            throw FileOperationError(operation: "remove", path: path, code: EIO)
        }
    }

    static func removeIfPresent(_ path: String) {
        unlink(path)
    }
}
