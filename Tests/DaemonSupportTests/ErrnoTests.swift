import Testing

@testable import DaemonSupport

#if canImport(Glibc)
    import Glibc
#endif

struct SystemErrorCase: CustomTestStringConvertible, Sendable {
    let error: SystemError
    let expectedDescription: String
    let expectedTransient: Bool

    var testDescription: String { error.errno.name }
}

struct ErrnoTests {
    static let cases: [SystemErrorCase] = [
        SystemErrorCase(
            error: SystemError(call: "rename", path: "/a", destination: "/b", errno: .noSpace),
            expectedDescription: "rename '/a' -> '/b' failed: No space left on device (ENOSPC)",
            expectedTransient: true
        ),
        SystemErrorCase(
            error: SystemError(call: "write", path: "/srv/out/x.jpg", errno: .quotaExceeded),
            expectedDescription: "write '/srv/out/x.jpg' failed: Disk quota exceeded (EDQUOT)",
            expectedTransient: true
        ),
        SystemErrorCase(
            error: SystemError(call: "fsync", path: "/srv", errno: .ioError),
            expectedDescription: "fsync '/srv' failed: Input/output error (EIO)",
            expectedTransient: true
        ),
        SystemErrorCase(
            error: SystemError(call: "socket", errno: .tooManyOpenFiles),
            expectedDescription: "socket failed: Too many open files (EMFILE)",
            expectedTransient: true
        ),
        SystemErrorCase(
            error: SystemError(call: "open", path: "/x", errno: .permissionDenied),
            expectedDescription: "open '/x' failed: Permission denied (EACCES)",
            expectedTransient: false
        ),
        SystemErrorCase(
            error: SystemError(call: "link", path: "/a", destination: "/b", errno: .fileExists),
            expectedDescription: "link '/a' -> '/b' failed: File exists (EEXIST)",
            expectedTransient: false
        ),
        SystemErrorCase(
            error: SystemError(call: "rename", path: "/a", destination: "/mnt/b", errno: .crossDevice),
            expectedDescription: "rename '/a' -> '/mnt/b' failed: Invalid cross-device link (EXDEV)",
            expectedTransient: false
        ),
        SystemErrorCase(
            error: SystemError(call: "open", path: "/x", errno: Errno(rawValue: 4095)),
            expectedDescription: "open '/x' failed: Unknown error 4095 (errno 4095)",
            expectedTransient: false
        ),
    ]

    @Test(arguments: cases)
    func systemErrorDescription(_ testCase: SystemErrorCase) {
        #expect(testCase.error.description == testCase.expectedDescription)
    }

    @Test(arguments: cases)
    func systemErrorTransience(_ testCase: SystemErrorCase) {
        #expect(testCase.error.isTransient == testCase.expectedTransient)
    }

    @Test(arguments: [Errno.noSpace, .timedOut, .tryAgain, .tooManyOpenFilesInSystem])
    func moreTransientErrnos(_ errno: Errno) {
        #expect(SystemError(call: "x", errno: errno).isTransient)
    }

    @Test func systemCallRetriesInterruptedCall() throws {
        var attempts = 0

        let result = try systemCall("probe") { () -> CInt in
            attempts += 1
            guard attempts < 3 else { return 7 }
            errno = EINTR
            return -1
        }

        #expect(result == 7)
        #expect(attempts == 3)
    }

    @Test func systemCallWithoutRetryThrowsInterrupted() {
        let error = #expect(throws: SystemError.self) {
            try systemCall("probe", path: "/p", retryOnInterrupt: false) { () -> CInt in
                errno = EINTR
                return -1
            }
        }

        #expect(error?.errno == .interrupted)
        #expect(error?.description == "probe '/p' failed: Interrupted system call (EINTR)")
    }
}
