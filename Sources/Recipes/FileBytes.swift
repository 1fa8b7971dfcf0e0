internal import Glibc

/// A reader of small YAML files that loads them whole and does not block on special files.
enum FileBytes {
    /// Reads a regular file of at most `limit` bytes.
    ///
    /// The file is opened with `O_NONBLOCK`, so a FIFO named like a sidecar cannot stall the caller, and
    /// anything but a regular file is rejected. A larger file is rejected with the YAML layer's message
    /// before it is read.
    static func read(_ path: String, limit: Int = YAMLLimits().maxBytes) throws(RecipesError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw unreadable(path, errno: errno) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable(path, errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, reason: "not a regular file")
        }

        let size = Int(status.st_size)
        guard size <= limit else { throw tooLarge(path, byteCount: size, limit: limit) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw unreadable(path, errno: errno) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
            // Rejects a file that grew after fstat.
            guard bytes.count <= limit else { throw tooLarge(path, byteCount: bytes.count, limit: limit) }
        }
        return bytes
    }

    private static func tooLarge(_ path: String, byteCount: Int, limit: Int) -> RecipesError {
        let error = YAMLError.tooLarge(byteCount: byteCount, limit: limit)
        return .invalid([Diagnostic(file: path, position: error.position, message: error.message)])
    }

    /// Maps the common errno values to the short phrases used in messages, and others to `strerror`.
    private static func unreadable(_ path: String, errno code: Int32) -> RecipesError {
        let reason: String
        switch code {
        case ENOENT: reason = "no such file"
        case EACCES: reason = "permission denied"
        case EISDIR: reason = "is a folder"
        default: reason = String(cString: strerror(code))
        }
        return .unreadable(path: path, reason: reason)
    }
}
