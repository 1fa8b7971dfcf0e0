import Testing

@testable import DaemonSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Throughput measurement, off by default: run with `KONTEXTD_BENCHMARKS=1` and `-c release`.
/// It prints MB/s and asserts only the digest, because timings depend on the machine.
struct SHA256Benchmark {
    static let isEnabled = getenv("KONTEXTD_BENCHMARKS").map { String(cString: $0) } == "1"

    @Test(.enabled(if: isEnabled, "set KONTEXTD_BENCHMARKS=1 to measure SHA-256 throughput"))
    func hashThroughput() {
        let bytes = [UInt8](repeating: 0x5a, count: 256 << 20)
        let clock = ContinuousClock()
        var digest: [UInt8] = []

        let elapsed = clock.measure {
            digest = SHA256.hash(bytes)
        }

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("SHA-256 of 256 MiB: \(seconds) s, \(Double(bytes.count) / 1e6 / seconds) MB/s")
        #expect(SHA256.hexString(digest).count == 64)
        #expect(digest == SHA256.hash(bytes[...]))
    }
}
