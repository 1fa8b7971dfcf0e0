internal import CFluxKernels

/// The allocator policy that keeps the engine's large arrays from costing page faults.
///
/// glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh `mmap`, and
/// unmaps it on free. A transformer step allocates and frees hundreds of such arrays: a layer's
/// weights and the activations. Each one paid page faults and zeroing by the kernel, which made a
/// step on the benchmark model about 12 % longer than with the arrays reused. With this policy,
/// freed memory stays in the heap and the next array of a similar size reuses it.
public enum EngineMemory {
    /// Makes glibc keep freed memory for reuse: one arena for all threads, no `mmap` for large
    /// blocks, no automatic trimming. Call it first thing in a process that runs the engine, before
    /// other threads allocate, and call `releaseFreedMemory` when a model run ends.
    /// One arena matters because threads otherwise get arenas of their own, whose heaps are at
    /// most 64 MiB, so their large blocks would still be mapped and unmapped one by one.
    /// Returns false when glibc rejected a setting or the C library is not glibc.
    @discardableResult
    public static func retainFreedMemory() -> Bool {
        fk_retain_freed_memory() == 1
    }

    /// Returns the heap's free pages to the system, so an idle daemon does not keep the last
    /// model run's peak memory.
    public static func releaseFreedMemory() {
        fk_release_freed_memory()
    }
}
