#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Invalid requests to `DurableFile` that no retry can fix.
public enum DurableFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The destination's last path component is empty, `.` or `..`.
    case invalidFileName(path: String)
    /// Every versioned name from `name` to `name-<limit>` exists already.
    case versionsExhausted(folder: String, name: String, limit: Int)
    /// A move names the same path as source and destination, which would only rename the file to a new version.
    case sameSourceAndDestination(path: String)

    public var description: String {
        switch self {
        case .invalidFileName(let path):
            "invalid destination '\(path)': the path must end in a file name, not '/', '.' or '..'"
        case .versionsExhausted(let folder, let name, let limit):
            "no free name for '\(name)' in '\(folder)': versions 1 to \(limit) all exist; "
                + "move older results out of the folder"
        case .sameSourceAndDestination(let path):
            "cannot move '\(path)' onto itself: give a different destination path"
        }
    }
}

/// File operations that never leave a partial file under its final name and never replace an existing file.
///
/// A result is written to a temporary name in the destination folder (`.<name>.tmp-<random>`), flushed with
/// `fsync`, renamed into place with `RENAME_NOREPLACE`, and the folder is flushed too. When the name is taken,
/// the next free versioned name is used instead (`photo.jpg`, `photo-2.jpg`, `photo-3.jpg`, ...).
public enum DurableFile {
    /// The highest version tried before `versionsExhausted` is thrown.
    public static let versionLimit = 10_000

    /// Writes `bytes` to `path` durably, or to the next free versioned name when `path` exists.
    ///
    /// The file gets the permission bits `permissions` reduced by the process umask, as `open` does.
    /// - Returns: The path the file was written to.
    /// - Throws: `DurableFileError`, or `SystemError` from `open`, `write`, `fsync`, `close`, the rename or
    ///   the folder's `fsync`. No temporary file is left behind unless the folder's `fsync` fails, in which
    ///   case the file is already in place under its final name.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, permissions: UInt32 = 0o666) throws -> String {
        let (folder, name) = try splitDestination(path)
        return try placeNewFile(folder: folder, name: name, mode: mode_t(permissions)) { descriptor, temporaryPath in
            try bytes.withUnsafeBytes { try writeAll($0, to: descriptor, path: temporaryPath) }
        }
    }

    /// Returns `name` with `-<version>` inserted before its last extension; version 1 is `name` itself.
    ///
    /// `photo.jpg` becomes `photo-2.jpg`, `README` becomes `README-2`, `.env` becomes `.env-2` and
    /// `archive.tar.gz` becomes `archive.tar-2.gz`.
    public static func versionedName(_ name: String, version: Int) -> String {
        guard version > 1 else { return name }

        // A leading dot starts a hidden name, not an extension.
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return "\(name)-\(version)"
        }
        return "\(name[..<dot])-\(version)\(name[dot...])"
    }

    /// Creates a temporary file in `folder`, lets `fill` write it, flushes it and renames it to the first free
    /// versioned form of `name`. Removes the temporary file when any step fails.
    static func placeNewFile(
        folder: String,
        name: String,
        mode: mode_t,
        fill: (CInt, String) throws -> Void
    ) throws -> String {
        let temporaryPath = folder + "/" + temporaryName(for: name)
        let descriptor = try systemCall("open", path: temporaryPath) {
            open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        }

        do {
            try fill(descriptor, temporaryPath)
            try systemCall("fsync", path: temporaryPath) { fsync(descriptor) }
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }

        do {
            // close can report a delayed write error (NFS) even after a successful fsync.
            try systemCall("close", path: temporaryPath, retryOnInterrupt: false) { close(descriptor) }
            let finalPath = try renameToFreeVersion(temporaryPath, folder: folder, name: name)
            try fsyncDirectory(folder)
            return finalPath
        } catch {
            // After a successful rename the temporary name no longer exists and this unlink changes nothing.
            unlink(temporaryPath)
            throw error
        }
    }

    /// Renames `source` to the first versioned form of `name` in `folder` that does not exist yet.
    static func renameToFreeVersion(_ source: String, folder: String, name: String) throws -> String {
        for version in 1...versionLimit {
            let candidate = folder + "/" + versionedName(name, version: version)
            do {
                try renameNoReplace(from: source, to: candidate)
                return candidate
            } catch {
                guard error.errno == .fileExists else { throw error }
            }
        }
        throw DurableFileError.versionsExhausted(folder: folder, name: name, limit: versionLimit)
    }

    /// Splits `path` into its folder (`.` when there is none) and its last component, which must be a file name.
    static func splitDestination(_ path: String) throws(DurableFileError) -> (folder: String, name: String) {
        let folder: String
        let name: String
        if let slash = path.lastIndex(of: "/") {
            folder = slash == path.startIndex ? "/" : String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        } else {
            folder = "."
            name = path
        }

        guard !name.isEmpty, name != ".", name != ".." else {
            throw .invalidFileName(path: path)
        }
        return (folder, name)
    }

    /// Returns `.<name>.tmp-<16 random hexadecimal digits>`.
    static func temporaryName(for name: String) -> String {
        let random = UInt64.random(in: .min ... .max)
        let digits = String(random, radix: 16)
        return ".\(name).tmp-" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Writes all of `buffer`, continuing after short writes.
    static func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: CInt, path: String) throws(SystemError) {
        guard let base = buffer.baseAddress else { return }

        var offset = 0
        while offset < buffer.count {
            let start = base + offset
            let remaining = buffer.count - offset
            offset += try systemCall("write", path: path) { Glibc.write(descriptor, start, remaining) }
        }
    }
}
