#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// An error number from the C library, with readable names for the values the daemon handles.
///
/// The description is the C library's `strerror` text, for example "No space left on device".
public struct Errno: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public let rawValue: CInt

    public init(rawValue: CInt) {
        self.rawValue = rawValue
    }

    /// The calling thread's current `errno`.
    public static var current: Errno {
        Errno(rawValue: errno)
    }

    public static let operationNotPermitted = Errno(rawValue: EPERM)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let ioError = Errno(rawValue: EIO)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    public static let tryAgain = Errno(rawValue: EAGAIN)
    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let fileExists = Errno(rawValue: EEXIST)
    public static let crossDevice = Errno(rawValue: EXDEV)
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    public static let isDirectory = Errno(rawValue: EISDIR)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let readOnlyFileSystem = Errno(rawValue: EROFS)
    public static let tooManyLinks = Errno(rawValue: EMLINK)
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    public static let notImplemented = Errno(rawValue: ENOSYS)
    public static let directoryNotEmpty = Errno(rawValue: ENOTEMPTY)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let quotaExceeded = Errno(rawValue: EDQUOT)

    /// The symbolic C name of the value, such as `ENOSPC`, or `errno 123` for a value without a name here.
    public var name: String {
        Errno.symbolicNames[rawValue] ?? "errno \(rawValue)"
    }

    /// The C library's message for this value, from the thread-safe XSI `strerror_r`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 256)
        // For an unknown value glibc returns EINVAL but still writes "Unknown error <N>" into the buffer.
        let _: CInt = strerror_r(rawValue, &buffer, buffer.count)
        guard buffer[0] != 0 else { return "Unknown error \(rawValue)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static let symbolicNames: [CInt: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EEXIST: "EEXIST", EXDEV: "EXDEV", ENOTDIR: "ENOTDIR",
        EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOSPC: "ENOSPC",
        EROFS: "EROFS", EMLINK: "EMLINK", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS",
        ENOTEMPTY: "ENOTEMPTY", EOPNOTSUPP: "EOPNOTSUPP", ECONNREFUSED: "ECONNREFUSED",
        ETIMEDOUT: "ETIMEDOUT", EDQUOT: "EDQUOT",
    ]
}

/// A failed system call: the call's name, the path or paths it worked on, and the `errno` it set.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The C function that failed, such as `rename` or `fsync`.
    public let call: String
    public let path: String?
    /// The second path of a two-path call such as `rename` or `link`.
    public let destination: String?
    public let errno: Errno

    public init(call: String, path: String? = nil, destination: String? = nil, errno: Errno) {
        self.call = call
        self.path = path
        self.destination = destination
        self.errno = errno
    }

    /// Whether retrying later can succeed without anyone changing the request: a full disk or quota,
    /// an I/O error, a busy resource, exhausted file descriptors or a timeout.
    public var isTransient: Bool {
        SystemError.transientErrnos.contains(errno)
    }

    /// The failure as one line, for example
    /// `rename '/a' -> '/b' failed: No space left on device (ENOSPC)`.
    public var description: String {
        var subject = call
        if let path {
            subject += " '\(path)'"
        }
        if let destination {
            subject += " -> '\(destination)'"
        }
        return "\(subject) failed: \(errno) (\(errno.name))"
    }

    private static let transientErrnos: Set<Errno> = [
        .noSpace, .quotaExceeded, .ioError, .tryAgain, .tooManyOpenFilesInSystem, .tooManyOpenFiles, .timedOut,
    ]
}

/// Runs a C call that returns -1 and sets `errno` on failure, retrying it while it fails with `EINTR`.
///
/// - Throws: `SystemError` naming `call`, `path` and `destination` when the call fails.
@discardableResult
func systemCall<Result: FixedWidthInteger>(
    _ call: String,
    path: String? = nil,
    destination: String? = nil,
    retryOnInterrupt: Bool = true,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        guard result == -1 else { return result }

        let error = Errno.current
        if retryOnInterrupt && error == .interrupted {
            continue
        }
        throw SystemError(call: call, path: path, destination: destination, errno: error)
    }
}
