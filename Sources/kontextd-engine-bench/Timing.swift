import FluxEngine

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
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            output = try body()
            runs.append(seconds(since: start))
        }
        let gemm = GEMMStatistics.snapshot
        let result = Result(
            seconds: median(runs), runs: runs, gemmFlops: gemm.flops / repeats,
            gemmSeconds: gemm.seconds / Double(repeats), gemmCalls: gemm.calls / repeats
        )
        // NOTE: repeats >= 1 is enforced by the option parser, so `output` is set here.
        return (result, output!)
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
