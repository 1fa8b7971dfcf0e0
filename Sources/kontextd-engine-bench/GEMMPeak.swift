internal import COpenBLAS
import Foundation

/// OpenBLAS `cblas_sgemm` speed on the shapes of Flux's linear layers: y = x·Wᵀ with 2,048 rows of x
/// and N, K in {3072, 12288} (hidden size and MLP width of the real model).
enum GEMMPeak {
    struct Shape: Codable {
        var m: Int
        var n: Int
        var k: Int
        var seconds: [Double]
        var gigaflopsPerSecond: Double
    }

    struct Result: Codable {
        var threads: Int
        /// The kernel set OpenBLAS chose (`openblas_get_corename`), e.g. `SkylakeX` or `Prescott`.
        var openBLASCore: String
        var openBLASConfiguration: String
        var shapes: [Shape]
        /// The best of the shapes' median rates.
        var peakGigaflopsPerSecond: Double
    }

    /// Times every combination of N and K, or only N = K = 3072 when `quick` is set.
    static func measure(threads: Int, warmups: Int, repeats: Int, quick: Bool) -> Result {
        openblas_set_num_threads(Int32(threads))
        let sizes = quick ? [3072] : [3072, 12288]
        var shapes: [Shape] = []
        for n in sizes {
            for k in sizes {
                shapes.append(time(m: 2048, n: n, k: k, warmups: warmups, repeats: repeats))
            }
        }
        let peak = shapes.map(\.gigaflopsPerSecond).max() ?? 0
        return Result(
            threads: threads, openBLASCore: text(openblas_get_corename()),
            openBLASConfiguration: text(openblas_get_config()), shapes: shapes, peakGigaflopsPerSecond: peak
        )
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? "unknown"
    }

    private static func time(m: Int, n: Int, k: Int, warmups: Int, repeats: Int) -> Shape {
        let a = (0..<(m * k)).map { Float($0 % 7) * 0.01 }
        let b = (0..<(n * k)).map { Float($0 % 5) * 0.01 }
        var c = [Float](repeating: 0, count: m * n)
        var seconds: [Double] = []
        for run in 0..<(warmups + repeats) {
            let start = ContinuousClock.now
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                1, a, Int32(k), b, Int32(k), 0, &c, Int32(n)
            )
            if run >= warmups { seconds.append(Timing.seconds(since: start)) }
        }
        let rate = 2 * Double(m) * Double(n) * Double(k) / Timing.median(seconds) / 1e9
        return Shape(m: m, n: n, k: k, seconds: seconds, gigaflopsPerSecond: rate)
    }
}
