import Foundation

/// Page faults of two 64 MiB arrays allocated one after the other, for the test that checks
/// `EngineMemory.retainFreedMemory` in a process of its own.
struct AllocatorProbe: Codable {
    /// Whether the process runs with `EngineMemory.retainFreedMemory`.
    var retainsFreedMemory: Bool
    /// Pages of one array.
    var pages: Int
    var firstFaults: Int
    var secondFaults: Int

    static func measure(retainsFreedMemory: Bool) -> AllocatorProbe {
        let count = 16 << 20
        let first = minorFaults { [Float](repeating: 1, count: count).withUnsafeBufferPointer { $0[count / 2] } }
        let second = minorFaults { [Float](repeating: 2, count: count).withUnsafeBufferPointer { $0[count / 2] } }
        return AllocatorProbe(
            retainsFreedMemory: retainsFreedMemory, pages: count * 4 / Int(getpagesize()), firstFaults: first, secondFaults: second
        )
    }

    /// Returns the minor page faults of this thread while `body` runs.
    private static func minorFaults(_ body: () -> Float) -> Int {
        // RUSAGE_THREAD (Linux), which the Glibc module does not export.
        let thisThread = __rusage_who_t(1)
        var before = rusage()
        var after = rusage()
        getrusage(thisThread, &before)
        // Keeps the array's use from being optimised away.
        if body() < 0 { print("negative") }
        getrusage(thisThread, &after)
        return after.ru_minflt - before.ru_minflt
    }
}
