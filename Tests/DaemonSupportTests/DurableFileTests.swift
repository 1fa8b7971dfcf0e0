import Foundation
import Testing

@testable import DaemonSupport

struct VersionedNameCase: CustomTestStringConvertible, Sendable {
    let name: String
    let version: Int
    let expected: String

    var testDescription: String { "\(name) v\(version)" }
}

struct DurableFileTests {
    static let versionedNames: [VersionedNameCase] = [
        VersionedNameCase(name: "photo.jpg", version: 1, expected: "photo.jpg"),
        VersionedNameCase(name: "photo.jpg", version: 2, expected: "photo-2.jpg"),
        VersionedNameCase(name: "photo.jpg", version: 17, expected: "photo-17.jpg"),
        VersionedNameCase(name: "README", version: 2, expected: "README-2"),
        VersionedNameCase(name: ".env", version: 3, expected: ".env-3"),
        VersionedNameCase(name: "archive.tar.gz", version: 2, expected: "archive.tar-2.gz"),
        VersionedNameCase(name: "trailing.", version: 2, expected: "trailing-2."),
    ]

    @Test(arguments: versionedNames)
    func versionedNameInsertsVersion(_ testCase: VersionedNameCase) {
        #expect(DurableFile.versionedName(testCase.name, version: testCase.version) == testCase.expected)
    }

    @Test func writeCreatesFileWithoutTemporary() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bytes: [UInt8] = Array("edited image".utf8)

        let written = try DurableFile.write(bytes, to: folder.file("photo.jpg"))

        #expect(written == folder.file("photo.jpg"))
        #expect(readBytes(written) == bytes)
        #expect(try folder.names() == ["photo.jpg"])
    }

    @Test func writeNeverOverwritesExistingFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let original: [UInt8] = Array("original".utf8)
        try DurableFile.write(original, to: folder.file("photo.jpg"))

        let second = try DurableFile.write(Array("second".utf8), to: folder.file("photo.jpg"))
        let third = try DurableFile.write(Array("third".utf8), to: folder.file("photo.jpg"))

        #expect(second == folder.file("photo-2.jpg"))
        #expect(third == folder.file("photo-3.jpg"))
        #expect(readBytes(folder.file("photo.jpg")) == original)
        #expect(readBytes(second) == Array("second".utf8))
        #expect(readBytes(third) == Array("third".utf8))
        #expect(try folder.names() == ["photo-2.jpg", "photo-3.jpg", "photo.jpg"])
    }

    @Test func writeAppliesPermissions() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let previousMask = umask(0o022)
        defer { umask(previousMask) }

        let written = try DurableFile.write([1, 2, 3], to: folder.file("a.png"), permissions: 0o640)

        let attributes = try FileManager.default.attributesOfItem(atPath: written)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
    }

    @Test(arguments: ["", "/tmp/", "/tmp/.", "/tmp/.."])
    func writeRejectsPathWithoutFileName(_ path: String) {
        let error = #expect(throws: DurableFileError.self) { try DurableFile.write([1], to: path) }

        #expect(error == .invalidFileName(path: path))
        #expect(
            error?.description
                == "invalid destination '\(path)': the path must end in a file name, not '/', '.' or '..'"
        )
    }

    @Test func writeIntoMissingFolderFails() {
        let path = "/nonexistent-kontextd-test/out/photo.jpg"

        let error = #expect(throws: SystemError.self) { try DurableFile.write([1], to: path) }

        #expect(error?.call == "open")
        #expect(error?.errno == .noEntry)
        #expect(error?.path?.hasPrefix("/nonexistent-kontextd-test/out/.photo.jpg.tmp-") == true)
    }

    @Test(arguments: [DurableFile.NoReplaceStrategy.renameat2, .linkThenUnlink])
    func renameNoReplaceKeepsExistingFile(_ strategy: DurableFile.NoReplaceStrategy) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try #require(FileManager.default.createFile(atPath: folder.file("new"), contents: Data("new".utf8)))
        try #require(FileManager.default.createFile(atPath: folder.file("old"), contents: Data("old".utf8)))

        let error = #expect(throws: SystemError.self) {
            try DurableFile.renameNoReplace(from: folder.file("new"), to: folder.file("old"), strategy: strategy)
        }

        #expect(error?.errno == .fileExists)
        #expect(readBytes(folder.file("old")) == Array("old".utf8))
        #expect(readBytes(folder.file("new")) == Array("new".utf8))
    }

    @Test(arguments: [DurableFile.NoReplaceStrategy.renameat2, .linkThenUnlink])
    func renameNoReplaceMovesToFreeName(_ strategy: DurableFile.NoReplaceStrategy) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try #require(FileManager.default.createFile(atPath: folder.file("new"), contents: Data("new".utf8)))

        try DurableFile.renameNoReplace(from: folder.file("new"), to: folder.file("moved"), strategy: strategy)

        #expect(readBytes(folder.file("moved")) == Array("new".utf8))
        #expect(try folder.names() == ["moved"])
    }

    @Test func moveNoReplaceVersionsExistingName() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: false)
        try DurableFile.write(Array("kept".utf8), to: folder.file("out/photo.jpg"))
        try DurableFile.write(Array("incoming".utf8), to: folder.file("photo.jpg"))

        let moved = try DurableFile.moveNoReplace(from: folder.file("photo.jpg"), to: folder.file("out/photo.jpg"))

        #expect(moved == folder.file("out/photo-2.jpg"))
        #expect(readBytes(moved) == Array("incoming".utf8))
        #expect(readBytes(folder.file("out/photo.jpg")) == Array("kept".utf8))
        #expect(try folder.names() == ["out"])
    }

    @Test func moveNoReplaceOntoItselfFails() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("photo.jpg")
        try DurableFile.write(Array("kept".utf8), to: path)

        let error = #expect(throws: DurableFileError.self) { try DurableFile.moveNoReplace(from: path, to: path) }

        #expect(error == .sameSourceAndDestination(path: path))
        #expect(error?.description == "cannot move '\(path)' onto itself: give a different destination path")
        #expect(try folder.names() == ["photo.jpg"])
    }

    @Test func moveNoReplaceMissingSourceFails() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }

        let error = #expect(throws: SystemError.self) {
            try DurableFile.moveNoReplace(from: folder.file("absent.jpg"), to: folder.file("present.jpg"))
        }

        #expect(error?.errno == .noEntry)
        #expect(error?.path == folder.file("absent.jpg"))
    }

    @Test func fsyncDirectoryMissingFolderFails() {
        let error = #expect(throws: SystemError.self) {
            try DurableFile.fsyncDirectory("/nonexistent-kontextd-test")
        }

        #expect(error?.description == "open '/nonexistent-kontextd-test' failed: No such file or directory (ENOENT)")
    }
}
