#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file, unmapped when the last reference goes.
///
/// The kernel pages weights in on demand and can drop them again under pressure, so mapping a
/// 12 GB checkpoint costs address space, not resident memory.
public final class MappedFile: @unchecked Sendable {
    // Safe to share: the mapping is read-only and never remapped after init.
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw EngineError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw EngineError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw EngineError.unreadableFile(path: path, reason: "not a regular file")
        }
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw EngineError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
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

    /// Tells the kernel the pages of `range` are not needed soon, so a streamed layer does not
    /// crowd the page cache.
    public func release(_ range: Range<Int>) {
        guard let base, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, Int32(MADV_DONTNEED))
    }
}
