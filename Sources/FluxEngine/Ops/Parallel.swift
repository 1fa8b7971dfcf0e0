import Dispatch

/// Splits `0..<count` into contiguous chunks and runs them on all cores.
///
/// Elementwise work is memory-bound, so chunks are large; small counts run inline. `body` must
/// touch only the elements of the range it is given.
func parallelChunks(_ count: Int, minimumChunk: Int = 4096, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(EngineThreads.count, count / max(minimumChunk, 1)))
    parallelChunks(count, minimumChunk: minimumChunk, workers: workers) { range, _ in body(range) }
}

/// Splits `0..<count` into one contiguous chunk per worker, at most `workers` of them, and passes
/// each chunk its worker index so that it can use scratch memory of its own.
func parallelChunks(_ count: Int, minimumChunk: Int, workers: Int, _ body: (Range<Int>, Int) -> Void) {
    let workers = max(1, min(workers, count / max(minimumChunk, 1)))
    if workers <= 1 {
        body(0..<count, 0)
        return
    }
    let chunk = (count + workers - 1) / workers
    withoutActuallyEscaping(body) { body in
        let worker = ChunkWorker(body: body)
        DispatchQueue.concurrentPerform(iterations: workers) { index in
            let start = index * chunk
            let end = min(count, start + chunk)
            if start < end { worker.body(start..<end, index) }
        }
    }
}

/// Carries a chunk body into `concurrentPerform`.
// NOTE: @unchecked Sendable is safe because every chunk body touches a disjoint range of the
// buffers it captures, and those buffers outlive the concurrent call that runs it.
private struct ChunkWorker: @unchecked Sendable {
    let body: (Range<Int>, Int) -> Void
}

/// How many threads the engine's own loops use (OpenBLAS has its own setting).
public enum EngineThreads {
    nonisolated(unsafe) private static var configured: Int?

    /// The thread count: the configured value, else the number of online processors.
    public static var count: Int {
        configured ?? ProcessInfoCores.online
    }

    /// Sets the thread count for the engine loops and for OpenBLAS; call before running a model.
    public static func configure(_ threads: Int) {
        configured = max(1, threads)
        BLAS.setThreads(max(1, threads))
    }
}

enum ProcessInfoCores {
    static let online: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

#if canImport(Glibc)
import Glibc
#endif
