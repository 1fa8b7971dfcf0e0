import Foundation
import Testing

@testable import DaemonSupport

/// One known-answer test: a message and its digest from FIPS 180-4 / NIST CSRC examples.
struct DigestCase: CustomTestStringConvertible, Sendable {
    let name: String
    let message: [UInt8]
    let expectedHex: String

    var testDescription: String { name }

    static let nistVectors: [DigestCase] = [
        DigestCase(
            name: "empty",
            message: [],
            expectedHex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ),
        DigestCase(
            name: "abc",
            message: Array("abc".utf8),
            expectedHex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ),
        DigestCase(
            name: "448 bits",
            message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            expectedHex: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        DigestCase(
            name: "896 bits",
            message: Array(
                ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                    + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8
            ),
            expectedHex: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        DigestCase(
            name: "one million a",
            message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            expectedHex: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]
}

/// Returns the path of a file in `Tests/Photos`, found from this source file's location.
func photoPath(_ name: String, sourceFile: String = #filePath) -> String {
    let testsFolder = URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent()
    return testsFolder.appendingPathComponent("Photos").appendingPathComponent(name).path
}

/// Runs `sha256sum` on `path` and returns the hexadecimal digest it prints.
func sha256sumDigest(ofFileAtPath path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    return String(text.prefix(64))
}

struct SHA256Tests {
    @Test(arguments: DigestCase.nistVectors)
    func nistVectorOneShot(_ vector: DigestCase) {
        #expect(SHA256.hexDigest(vector.message) == vector.expectedHex)
    }

    /// Splits each vector at every chunk size from 1 to 130 bytes so buffered partial blocks are exercised.
    @Test(arguments: DigestCase.nistVectors.filter { $0.message.count < 1000 })
    func nistVectorInChunks(_ vector: DigestCase) {
        for chunkSize in 1...130 {
            var hasher = SHA256()
            var start = 0
            while start < vector.message.count {
                let end = min(start + chunkSize, vector.message.count)
                hasher.update(vector.message[start..<end])
                start = end
            }
            #expect(SHA256.hexString(hasher.finalize()) == vector.expectedHex, "chunk size \(chunkSize)")
        }
    }

    /// Messages whose lengths straddle the padding boundary (55, 56 and 64 bytes) need one or two final blocks.
    @Test(arguments: [55, 56, 57, 63, 64, 65, 119, 120])
    func paddingBoundaryMatchesSha256sum(_ length: Int) throws {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = "/tmp/kontextd-sha-\(length)-\(UUID())"
        try #require(FileManager.default.createFile(atPath: path, contents: Data(message)))
        defer { try? FileManager.default.removeItem(atPath: path) }

        #expect(SHA256.hexDigest(message) == (try sha256sumDigest(ofFileAtPath: path)))
    }

    @Test(arguments: ["autumn.jpg", "kite.jpg", "path.jpg"])
    func photoFileMatchesSha256sum(_ name: String) throws {
        let path = photoPath(name)

        let digest = try SHA256.hexDigestOfFile(atPath: path)

        #expect(digest == (try sha256sumDigest(ofFileAtPath: path)))
    }

    @Test func missingFileNamesPathAndErrno() {
        let path = "/nonexistent-kontextd-test/photo.jpg"

        let error = #expect(throws: SystemError.self) { try SHA256.hashFile(atPath: path) }

        #expect(error?.errno == .noEntry)
        #expect(error?.description == "open '\(path)' failed: No such file or directory (ENOENT)")
    }
}
