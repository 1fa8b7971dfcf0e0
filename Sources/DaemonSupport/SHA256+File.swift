#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension SHA256 {
    /// The size of each `read` when hashing a file.
    static let fileChunkByteCount = 1 << 20

    /// Returns the SHA-256 digest of the file at `path`, reading it in 1 MiB chunks.
    ///
    /// - Throws: `SystemError` from `open` or `read`.
    public static func hashFile(atPath path: String) throws(SystemError) -> [UInt8] {
        let descriptor = try systemCall("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }

        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: fileChunkByteCount, alignment: 16)
        defer { buffer.deallocate() }

        while true {
            let byteCount = try systemCall("read", path: path) {
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            guard byteCount > 0 else { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<byteCount]))
        }
        return hasher.finalize()
    }

    /// Returns the SHA-256 digest of the file at `path` as 64 lowercase hexadecimal digits.
    ///
    /// - Throws: `SystemError` from `open` or `read`.
    public static func hexDigestOfFile(atPath path: String) throws(SystemError) -> String {
        hexString(try hashFile(atPath: path))
    }
}
