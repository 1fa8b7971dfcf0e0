import Foundation
import Testing

@testable import FluxEngine

@Suite struct EngineMemoryTests {
    /// Under the policy, a freed 48 MiB array is reused by the next one, so the second costs almost
    /// no page faults. With glibc's defaults both are fresh mappings that fault on every page,
    /// because 48 MiB is above the largest mmap threshold glibc picks by itself (32 MiB).
    ///
    /// The size also fits the 64 MiB heaps of the per-thread arena that runs this test. The test
    /// runner's threads made their arenas before the policy was set, so its one-arena part cannot
    /// apply here. `kontextd` sets the policy before it starts threads.
    @Test func secondLargeArrayReusesTheFirstOnesPages() throws {
        try #require(EngineMemory.retainFreedMemory())
        defer { EngineMemory.releaseFreedMemory() }
        let count = 12 << 20

        _ = Self.minorFaults { [Float](repeating: 1, count: count).withUnsafeBufferPointer { $0[count / 2] } }
        let second = Self.minorFaults { [Float](repeating: 2, count: count).withUnsafeBufferPointer { $0[count / 2] } }

        // 48 MiB is 12,288 pages of 4 KiB, and a fresh mapping faults on each of them. The first
        // array may reuse memory that earlier tests freed, so only the second one is counted.
        #expect(second < 12_288 / 8, "second array: \(second) faults")
    }

    /// Returns the minor page faults of this thread while `body` runs.
    private static func minorFaults(_ body: () -> Float) -> Int {
        // RUSAGE_THREAD (Linux), which the Glibc module does not export.
        let thisThread = __rusage_who_t(1)
        var before = rusage()
        var after = rusage()
        getrusage(thisThread, &before)
        let value = body()
        getrusage(thisThread, &after)
        #expect(value > 0)
        return after.ru_minflt - before.ru_minflt
    }
}
