#if canImport(Glibc)
import Glibc
#endif

/// A weights file opened for reading: memory-mapped for parsing its header, read with `pread` for
/// tensor data.
///
/// The map costs address space, not resident memory, so a header can be parsed in place. Tensor
/// data is copied out with `pread` instead. A mapped file that shrinks while a job runs (copied over
/// in place, truncated) would kill the whole daemon with SIGBUS on the next page touched, but a
/// short read is only an error for that one job. Either way the bytes come from the page cache.
public final class MappedFile: @unchecked Sendable {
    // Safe to share: the mapping is read-only and never remapped after init, and pread does not
    // move the descriptor's offset.
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw EngineError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw EngineError.unreadableFile(path: path, reason: reason)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw EngineError.unreadableFile(path: path, reason: "not a regular file")
        }
        self.descriptor = descriptor
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw EngineError.unreadableFile(path: path, reason: reason)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        close(descriptor)
    }

    /// Copies the bytes `range` of the file out with `pread` and calls `body` with them.
    ///
    /// A file that has become shorter since it was opened gives an error naming the offset.
    public func read<Result>(
        _ range: Range<Int>,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(range.count, 1), alignment: 64)
        defer { buffer.deallocate() }
        try read(range, into: buffer)
        return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<max(range.count, 0)]))
    }

    /// Copies the bytes `range` of the file into `buffer`, which has room for at least `range.count` bytes.
    /// Float32 little-endian data can land in its final array this way, without a second copy.
    public func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw EngineError.malformedFile(
                path: path,
                reason: "data range \(range) runs past the end of the file (\(count) bytes)"
            )
        }
        precondition(buffer.count >= range.count, "a buffer of \(buffer.count) bytes for \(range.count)")
        try readExactly(range, into: buffer)
    }

    private func readExactly(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard !range.isEmpty else { return }
        var done = 0
        while done < range.count {
            // NOTE: baseAddress is non-nil because the buffer has at least one byte.
            let got = pread(descriptor, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw EngineError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 {
                throw EngineError.malformedFile(
                    path: path,
                    reason: "the file ends at byte \(range.lowerBound + done), before the end of the data it listed; "
                        + "it changed while in use: install new weights with mv, never by copying over the old file"
                )
            }
            done += got
        }
    }

    /// Calls `body` with the bytes `range` of the file; the range must lie inside it.
    public func withBytes<Result>(
        _ range: Range<Int>,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw EngineError.malformedFile(
                path: path,
                reason: "data range \(range) runs past the end of the file (\(count) bytes)"
            )
        }
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}
