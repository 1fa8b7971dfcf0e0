import Testing

@testable import DaemonSupport

#if canImport(Glibc)
    import Glibc
#endif

struct StderrLogHandlerTests {
    /// Opens a fresh file and returns its descriptor with the `<device>:<inode>` text systemd would put in
    /// `JOURNAL_STREAM` for it.
    func openFileWithIdentity() throws -> (descriptor: CInt, identity: String, folder: TemporaryFolder) {
        let folder = try TemporaryFolder()
        let descriptor = open(folder.file("stream"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        return (descriptor, "\(status.st_dev):\(status.st_ino)", folder)
    }

    @Test func journalStreamMatchingDescriptor() throws {
        let file = try openFileWithIdentity()
        defer {
            close(file.descriptor)
            file.folder.remove()
        }

        #expect(StderrLogHandler.isJournalStream(file.identity, descriptor: file.descriptor))
    }

    @Test(arguments: [nil, "", "12", "a:b", "1:2:3", "0:0"])
    func journalStreamRejected(_ value: String?) throws {
        let file = try openFileWithIdentity()
        defer {
            close(file.descriptor)
            file.folder.remove()
        }

        #expect(!StderrLogHandler.isJournalStream(value, descriptor: file.descriptor))
    }

    @Test func journalStreamOfOtherFileRejected() throws {
        let first = try openFileWithIdentity()
        let second = try openFileWithIdentity()
        defer {
            close(first.descriptor)
            close(second.descriptor)
            first.folder.remove()
            second.folder.remove()
        }

        #expect(!StderrLogHandler.isJournalStream(second.identity, descriptor: first.descriptor))
    }
}
