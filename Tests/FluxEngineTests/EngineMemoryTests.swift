import Foundation
import Testing

/// `EngineMemory.retainFreedMemory` in a fresh process: `kontextd-engine-bench allocator` allocates
/// a 64 MiB array, frees it and allocates another, and reports the page faults of each.
///
/// The policy must be set before other threads allocate, which the test runner's process is long
/// past, so the check runs in a child process, as `kontextd` runs.
@Suite struct EngineMemoryTests {
    struct Probe: Decodable {
        var retainsFreedMemory: Bool
        var pages: Int
        var firstFaults: Int
        var secondFaults: Int
    }

    @Test func secondLargeArrayReusesTheFirstOnesPages() throws {
        let probe = try Self.run(["allocator"])

        #expect(probe.retainsFreedMemory)
        #expect(probe.firstFaults > probe.pages / 2, "first array: \(probe.firstFaults) faults for \(probe.pages) pages")
        #expect(probe.secondFaults < probe.pages / 8, "second array: \(probe.secondFaults) faults for \(probe.pages) pages")
    }

    /// The same probe with glibc's defaults, which map and unmap each array: the case the policy
    /// exists for, and the proof that the probe can tell the two apart.
    @Test func defaultAllocatorFaultsOnEveryArray() throws {
        let probe = try Self.run(["allocator", "--default-allocator"])

        #expect(!probe.retainsFreedMemory)
        #expect(probe.secondFaults > probe.pages / 2, "second array: \(probe.secondFaults) faults for \(probe.pages) pages")
    }

    static func run(_ arguments: [String]) throws -> Probe {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try benchBinary())
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "kontextd-engine-bench \(arguments) exited with \(process.terminationStatus)")
        return try JSONDecoder().decode(Probe.self, from: data)
    }

    /// Returns the `kontextd-engine-bench` built beside the test bundle.
    static func benchBinary() throws -> String {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent().path
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let candidates = [folder, root.path + "/.build/release", root.path + "/.build/debug"].map { $0 + "/kontextd-engine-bench" }
        return try #require(
            candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
            "kontextd-engine-bench is not built; run 'swift build' first (looked in \(candidates))"
        )
    }
}
