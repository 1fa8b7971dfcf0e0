internal import COpenBLAS
import Synchronization

/// Thin wrappers over the OpenBLAS calls the engine uses.
enum BLAS {
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// Runs `body` with OpenBLAS on one thread, for callers that run several small products in
    /// parallel on their own threads, then restores the thread count.
    static func withSingleThread<Result>(_ body: () throws -> Result) rethrows -> Result {
        let threads = Int(openblas_get_num_threads())
        guard threads > 1 else { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(threads)) }
        return try body()
    }

    /// C[m×n] = alpha · A[m×k] · op(B) + beta · C, all row-major.
    /// `bTransposed` means B is stored [n×k] (a PyTorch Linear weight), otherwise [k×n].
    /// `concurrentCallers` is the number of threads that run such products at the same time, so that
    /// the statistics count each one's share of the wall time.
    static func gemm(
        m: Int,
        n: Int,
        k: Int,
        a: UnsafePointer<Float>,
        lda: Int,
        b: UnsafePointer<Float>,
        ldb: Int,
        bTransposed: Bool,
        c: UnsafeMutablePointer<Float>,
        ldc: Int,
        alpha: Float = 1,
        beta: Float = 0,
        concurrentCallers: Int = 1
    ) {
        guard m > 0, n > 0 else { return }
        let start = ContinuousClock.now
        defer { GEMMStatistics.record(flops: 2 * m * n * k, since: start, sharedBy: concurrentCallers) }
        cblas_sgemm(
            CblasRowMajor,
            CblasNoTrans,
            bTransposed ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc)
        )
    }
}

/// Counts the engine's matrix multiplications, so a benchmark can tell how much of a stage's time
/// went to GEMM and at what rate.
public enum GEMMStatistics {
    private static let calls = Atomic<Int>(0)
    private static let flops = Atomic<Int>(0)
    private static let nanoseconds = Atomic<Int>(0)

    /// Totals since the last `reset`.
    public struct Snapshot: Sendable, Equatable {
        public var calls: Int
        public var flops: Int
        public var seconds: Double

        /// Achieved GEMM rate in GFLOP/s.
        public var gigaflopsPerSecond: Double { seconds > 0 ? Double(flops) / seconds / 1e9 : 0 }
    }

    public static var snapshot: Snapshot {
        Snapshot(
            calls: calls.load(ordering: .relaxed),
            flops: flops.load(ordering: .relaxed),
            seconds: Double(nanoseconds.load(ordering: .relaxed)) / 1e9
        )
    }

    public static func reset() {
        calls.store(0, ordering: .relaxed)
        flops.store(0, ordering: .relaxed)
        nanoseconds.store(0, ordering: .relaxed)
    }

    static func record(flops count: Int, since start: ContinuousClock.Instant, sharedBy callers: Int = 1) {
        let elapsed = ContinuousClock.now - start
        let nanos = (Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000)) / max(callers, 1)
        calls.add(1, ordering: .relaxed)
        flops.add(count, ordering: .relaxed)
        nanoseconds.add(nanos, ordering: .relaxed)
    }
}
