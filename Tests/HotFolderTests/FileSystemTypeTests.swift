import Testing

@testable import HotFolder

struct FileSystemTypeTests {
    @Test(arguments: [
        (UInt64(0x6969), "nfs", true), (0xFF53_4D42, "cifs", true), (0xFE53_4D42, "smb2", true),
        (0x6573_5546, "fuse", true), (0x0102_1997, "9p", true), (0x00C3_6400, "ceph", true),
        (0xEF53, "local (0xef53)", false), (0x0102_1994, "local (0x1021994)", false),
    ])
    func classify(magic: UInt64, name: String, remote: Bool) {
        let type = FileSystemType(magic: magic)

        #expect(type.description == name)
        #expect(type.isRemote == remote)
    }

    @Test func localFolders() throws {
        #expect(try FileSystemType.of("/tmp").isRemote == false)
        #expect(try FileSystemType.of("/dev/shm").magic == 0x0102_1994)
    }

    @Test func missingFolder() {
        #expect(throws: HotFolderError.systemCall(call: "statfs", path: "/nonexistent", errno: 2)) {
            try FileSystemType.of("/nonexistent")
        }
    }
}
