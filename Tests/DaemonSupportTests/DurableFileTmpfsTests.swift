import Foundation
import Testing

@testable import DaemonSupport

/// Tests that mount a small tmpfs (root only; each test prints why it skips otherwise).
struct DurableFileTmpfsTests {
    @Test func writeOnFullDiskLeavesNoTemporary() throws {
        guard let tmpfs = TemporaryTmpfs.mount(size: "64k") else { return }
        defer { tmpfs.unmount() }
        let bytes = [UInt8](repeating: 0xab, count: 256 * 1024)

        let error = #expect(throws: SystemError.self) {
            try DurableFile.write(bytes, to: tmpfs.path + "/big.jpg")
        }

        #expect(error?.errno == .noSpace)
        #expect(error?.isTransient == true)
        #expect(error?.path?.hasPrefix(tmpfs.path + "/.big.jpg.tmp-") == true)
        #expect(error?.description == "write '\(error?.path ?? "")' failed: No space left on device (ENOSPC)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmpfs.path) == [])
    }

    @Test func freeBytesOfEmptyTmpfsIsItsSize() throws {
        guard let tmpfs = TemporaryTmpfs.mount(size: "64k") else { return }
        defer { tmpfs.unmount() }

        let empty = try DurableFile.freeBytes(tmpfs.path)
        try DurableFile.write([UInt8](repeating: 1, count: 20_000), to: tmpfs.path + "/a")
        let afterWrite = try DurableFile.freeBytes(tmpfs.path)

        #expect(empty == 65_536)
        #expect(afterWrite == 65_536 - 20_480)
    }

    @Test func moveAcrossFileSystemsCopiesThenRemovesSource() throws {
        guard let tmpfs = TemporaryTmpfs.mount(size: "4m") else { return }
        defer { tmpfs.unmount() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bytes = [UInt8]((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try DurableFile.write(bytes, to: folder.file("photo.jpg"), permissions: 0o600)
        try DurableFile.write(Array("kept".utf8), to: tmpfs.path + "/photo.jpg")

        let moved = try DurableFile.moveNoReplace(from: folder.file("photo.jpg"), to: tmpfs.path + "/photo.jpg")

        #expect(moved == tmpfs.path + "/photo-2.jpg")
        #expect(readBytes(moved) == bytes)
        #expect(readBytes(tmpfs.path + "/photo.jpg") == Array("kept".utf8))
        #expect(try folder.names() == [])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: tmpfs.path).sorted() == ["photo-2.jpg", "photo.jpg"]
        )
        let attributes = try FileManager.default.attributesOfItem(atPath: moved)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func moveAcrossFileSystemsOnFullDiskKeepsSource() throws {
        guard let tmpfs = TemporaryTmpfs.mount(size: "64k") else { return }
        defer { tmpfs.unmount() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bytes = [UInt8](repeating: 0x11, count: 256 * 1024)
        try DurableFile.write(bytes, to: folder.file("photo.jpg"))

        let error = #expect(throws: SystemError.self) {
            try DurableFile.moveNoReplace(from: folder.file("photo.jpg"), to: tmpfs.path + "/photo.jpg")
        }

        #expect(error?.errno == .noSpace)
        #expect(readBytes(folder.file("photo.jpg")) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmpfs.path) == [])
    }
}
