internal import COpenBLAS

/// The OpenBLAS kernel family, and a better one when the library fell back to a generic kernel.
///
/// Debian 12's OpenBLAS 0.3.21 does not recognise some newer CPUs with AVX-512 and runs its SSE3
/// "Prescott" kernels on them, three to four times slower. The library reads `OPENBLAS_CORETYPE`
/// only when it loads, so a process that wants another kernel must set the variable and start again
/// (the `kontextd` executable does this itself).
public enum OpenBLASCore {
    /// Kernel families OpenBLAS picks for CPUs it does not know; all lack AVX2.
    static let genericCores: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood", "banias",
        "unknown",
    ]

    /// The kernel family in use, as OpenBLAS names it (`Prescott`, `Haswell`, `SkylakeX`, ...).
    public static var current: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Returns the fastest kernel family that the CPU `flags` (from /proc/cpuinfo) support, or nil when
    /// none is better than a generic kernel.
    public static func preferred(cpuFlags flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The kernel family to force instead of `current`, nil when OpenBLAS's own choice should stand.
    public static func replacement(current: String, cpuFlags flags: Set<String>) -> String? {
        guard genericCores.contains(current.lowercased()) else { return nil }
        return preferred(cpuFlags: flags)
    }

    /// Returns the flags of the first processor in a /proc/cpuinfo text.
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
