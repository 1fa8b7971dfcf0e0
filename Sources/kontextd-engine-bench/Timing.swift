import FluxEngine
import Glibc

/// Times repeated runs of a stage and collects the engine's GEMM counters for them.
enum Timing {
    /// Median time, every timed run, and the GEMM work of one run.
    struct Result: Codable {
        var seconds: Double
        var runs: [Double]
        /// GEMM floating-point operations of one run, from `GEMMStatistics`.
        var gemmFlops: Int
        /// Seconds spent inside `cblas_sgemm` in one run (the mean over the timed runs).
        var gemmSeconds: Double
        var gemmCalls: Int
        /// Process CPU time (user + system, all threads) of one run, the mean over the timed runs.
        /// On a shared machine it changes less with the load than the wall time does.
        var cpuSeconds: Double

        /// Achieved rate inside GEMM calls, GFLOP/s.
        var gemmGigaflopsPerSecond: Double { gemmSeconds > 0 ? Double(gemmFlops) / gemmSeconds / 1e9 : 0 }
    }

    /// Runs `body` `warmups` times untimed, then `repeats` times timed; returns the timing and the
    /// last output.
    static func run<Output>(
        warmups: Int,
        repeats: Int,
        _ body: () throws -> Output
    ) rethrows -> (Result, Output) {
        for _ in 0..<warmups { _ = try body() }
        var runs: [Double] = []
        var output: Output?
        GEMMStatistics.reset()
        let cpuStart = processCPUSeconds()
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            output = try body()
            runs.append(seconds(since: start))
        }
        let gemm = GEMMStatistics.snapshot
        let result = Result(
            seconds: median(runs), runs: runs, gemmFlops: gemm.flops / repeats,
            gemmSeconds: gemm.seconds / Double(repeats), gemmCalls: gemm.calls / repeats,
            cpuSeconds: (processCPUSeconds() - cpuStart) / Double(repeats)
        )
        // NOTE: repeats >= 1 is enforced by the option parser, so `output` is set here.
        return (result, output!)
    }

    /// User plus system CPU time of every thread of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
