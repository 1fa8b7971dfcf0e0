import Foundation
import Testing

@testable import FluxEngine

/// A weights file that shrinks while a job uses it must fail that job, not crash the daemon.
@Suite struct WeightFileChangeTests {
    @Test func truncatedAfterOpeningIsAnErrorNamingTheOffset() throws {
        let path = NSTemporaryDirectory() + "kontextd-shrink-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let big = Tensor(shape: [512, 512], storage: (0..<(512 * 512)).map { Float($0) })
        try SafeTensorsWriter.write(["big": big, "small": Tensor(shape: [2], storage: [1, 2])], to: path)
        let store = try SafeTensorsFile(path: path)
        #expect(try store.load("big") == big)

        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 4096)
        try handle.close()

        let error = try #require(throws: EngineError.self) { try store.load("big") }
        guard case .malformedFile(let file, let reason) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(file == path)
        #expect(reason.hasPrefix("the file ends at byte 4096, before the end of the data it listed"))
        #expect(reason.hasSuffix("install new weights with mv, never by copying over the old file"))
    }
}
