import FluxEngine
import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Starts the process again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to a generic kernel
/// on a CPU that a faster one supports (see `OpenBLASCore`).
///
/// It runs before anything else, so the restart loses no work. `execv` keeps the pid, which systemd
/// needs for a `Type=notify` service. An `OPENBLAS_CORETYPE` already in the environment is respected, and a
/// failed exec leaves the process running on the generic kernel.
enum OpenBLASRestart {
    static func restartIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
            let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let core = OpenBLASCore.replacement(current: OpenBLASCore.current, cpuFlags: OpenBLASCore.cpuFlags(cpuinfo: cpuinfo))
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
