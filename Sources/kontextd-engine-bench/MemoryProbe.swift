import Foundation
import Synchronization

/// Peak memory of this process from `/proc/self/status`.
///
/// `VmHWM` is the kernel's peak resident set size. It counts file-backed pages of a memory-mapped
/// weights file as well as anonymous memory (activations, dequantised layers), so a sampler thread
/// also records the peaks of `RssAnon` and `RssFile` separately, every 20 ms.
final class MemoryProbe: Sendable {
    struct Peaks: Codable {
        /// Peak resident set size (`VmHWM`), bytes.
        var peakResidentBytes: Int
        /// Largest sampled anonymous resident memory (`RssAnon`), bytes.
        var peakAnonymousBytes: Int
        /// Largest sampled file-backed resident memory (`RssFile`), bytes.
        var peakFileBytes: Int
        /// Anonymous resident memory when the probe started, bytes.
        var startAnonymousBytes: Int
    }

    private let stopped = Atomic<Bool>(false)
    private let peaks = Mutex((anonymous: 0, file: 0))
    private let startAnonymous: Int

    init() {
        startAnonymous = Self.statusField("RssAnon") ?? 0
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                sample()
                usleep(20_000)
            }
        }
        thread.start()
    }

    /// Stops sampling and returns the peaks seen so far.
    func finish() -> Peaks {
        stopped.store(true, ordering: .relaxed)
        sample()
        let (anonymous, file) = peaks.withLock { ($0.anonymous, $0.file) }
        return Peaks(
            peakResidentBytes: Self.statusField("VmHWM") ?? 0, peakAnonymousBytes: anonymous,
            peakFileBytes: file, startAnonymousBytes: startAnonymous
        )
    }

    private func sample() {
        let anonymous = Self.statusField("RssAnon") ?? 0
        let file = Self.statusField("RssFile") ?? 0
        peaks.withLock { value in
            value.anonymous = max(value.anonymous, anonymous)
            value.file = max(value.file, file)
        }
    }

    /// Reads a `kB` field of `/proc/self/status` in bytes, nil when the file or the field is missing.
    static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            // The value follows a tab and padding spaces, e.g. "VmHWM:\t  123456 kB".
            let number = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return number.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
