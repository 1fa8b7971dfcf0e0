#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension DurableFile {
    /// Moves the file at `source` to `destination`, or to the next free versioned name when `destination` exists.
    ///
    /// Within one file system this is one atomic rename. Across file systems the file is copied to a temporary
    /// name beside the destination, flushed, renamed into place, and only then is `source` removed, so a crash
    /// leaves at least one complete copy. Both folders are flushed with `fsync` afterwards.
    /// - Returns: The path the file was moved to.
    /// - Throws: `DurableFileError`, or `SystemError` from the rename, the copy or an `fsync`.
    @discardableResult
    public static func moveNoReplace(from source: String, to destination: String) throws -> String {
        let (folder, name) = try splitDestination(destination)
        let (sourceFolder, _) = try splitDestination(source)
        // NOTE: Only identical spellings are caught here; `a/b.jpg` and `a/./b.jpg` are not compared.
        guard source != destination else {
            throw DurableFileError.sameSourceAndDestination(path: source)
        }

        let finalPath: String
        do {
            finalPath = try renameToFreeVersion(source, folder: folder, name: name)
        } catch let error as SystemError where error.errno == .crossDevice {
            finalPath = try copyToFreeVersion(source, folder: folder, name: name)
            try systemCall("unlink", path: source) { unlink(source) }
        }

        try fsyncDirectory(folder)
        if sourceFolder != folder {
            try fsyncDirectory(sourceFolder)
        }
        return finalPath
    }

    /// Copies `source` durably to the first free versioned form of `name` in `folder`, keeping its permission bits.
    private static func copyToFreeVersion(_ source: String, folder: String, name: String) throws -> String {
        let input = try systemCall("open", path: source) { open(source, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }

        var status = stat()
        try systemCall("fstat", path: source) { fstat(input, &status) }

        return try placeNewFile(folder: folder, name: name, mode: status.st_mode & 0o7777) { output, temporaryPath in
            try copyContents(from: input, sourcePath: source, to: output, destinationPath: temporaryPath)
        }
    }

    /// Copies everything readable from `input` to `output` in 1 MiB chunks.
    private static func copyContents(
        from input: CInt,
        sourcePath: String,
        to output: CInt,
        destinationPath: String
    ) throws(SystemError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }

        while true {
            let count = try systemCall("read", path: sourcePath) { read(input, buffer.baseAddress, buffer.count) }
            guard count > 0 else { return }
            try writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<count]), to: output, path: destinationPath)
        }
    }

    /// Flushes the folder at `path` with `fsync`, so renames and new names in it survive a crash.
    ///
    /// `EINVAL` from `fsync` is ignored: fsync(2) returns it for files that do not support synchronization,
    /// and there is nothing to flush then.
    /// - Throws: `SystemError` from `open` or `fsync`.
    public static func fsyncDirectory(_ path: String) throws(SystemError) {
        let descriptor = try systemCall("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(descriptor) }

        do {
            try systemCall("fsync", path: path) { fsync(descriptor) }
        } catch {
            guard error.errno == .invalidArgument else { throw error }
        }
    }

    /// Returns the bytes available to an unprivileged user on the file system that contains `path`, from `statvfs`.
    ///
    /// - Throws: `SystemError` from `statvfs`.
    public static func freeBytes(_ path: String) throws(SystemError) -> UInt64 {
        var status = statvfs()
        try systemCall("statvfs", path: path) { statvfs(path, &status) }
        return UInt64(status.f_bavail) * UInt64(status.f_frsize)
    }
}
