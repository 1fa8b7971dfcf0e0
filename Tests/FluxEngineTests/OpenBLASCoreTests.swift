import Testing

@testable import FluxEngine

@Suite struct OpenBLASCoreTests {
    static let avx512 = "fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl"

    @Test(arguments: [
        ("Prescott", avx512 + " avx512_bf16", "Cooperlake"),
        ("Prescott", avx512, "SkylakeX"),
        ("Core2", "fpu sse2 avx avx2 fma", "Haswell"),
        ("Prescott", "fpu sse2 sse3", nil),
        ("SkylakeX", avx512 + " avx512_bf16", nil),
        ("Haswell", avx512, nil),
    ] as [(String, String, String?)])
    func replacesOnlyAGenericKernel(current: String, flags: String, expected: String?) {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: \(flags)\nbugs\t\t: none\n"
        #expect(OpenBLASCore.replacement(current: current, cpuFlags: OpenBLASCore.cpuFlags(cpuinfo: cpuinfo)) == expected)
    }

    @Test func readsTheLibrarysOwnCoreName() {
        #expect(!OpenBLASCore.current.isEmpty)
        #expect(OpenBLASCore.current != "unknown")
    }
}
