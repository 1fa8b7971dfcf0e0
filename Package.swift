// swift-tools-version: 6.0
import PackageDescription

/// Upcoming language features applied to every Swift target (not to the C system-library targets).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kontextd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kontextd", targets: ["kontextd"])
    ],
    targets: [
        // C libraries from Debian, each behind a modulemap and a shim header.
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebpmux", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CHeif", pkgConfig: "libheif", providers: [.apt(["libheif-dev"])]),
        .systemLibrary(name: "CLCMS2", pkgConfig: "lcms2", providers: [.apt(["liblcms2-dev"])]),
        .systemLibrary(name: "CEXIF", pkgConfig: "libexif", providers: [.apt(["libexif-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Swift modules, one concern each.
        .target(name: "DaemonSupport", dependencies: ["CSystemd"]),
        .target(name: "Recipes", dependencies: ["CYAML", "DaemonSupport"]),
        .target(name: "Imaging", dependencies: ["CPNG", "CTurboJPEG", "CWebP", "CHeif", "CLCMS2", "CEXIF"]),
        .target(name: "HotFolder", dependencies: ["CInotifyTools", "DaemonSupport"]),
        .target(name: "Backends", dependencies: ["Imaging", "DaemonSupport", "COpenSSL"]),
        // The native Flux Kontext engine: weights, numerics on OpenBLAS, models and sampler.
        .target(name: "FluxEngine", dependencies: ["COpenBLAS", "CFluxKernels"]),
        // The engine's elementwise kernels in C, built for AVX-512, AVX2 and baseline x86-64 and
        // chosen when the program loads.
        .target(name: "CFluxKernels"),
        // `backend: local`: the Kontext edit through FluxEngine inside the daemon.
        .target(name: "LocalBackend", dependencies: ["Backends", "FluxEngine", "Imaging", "Recipes"]),
        .target(name: "EditPipeline", dependencies: ["Imaging", "Recipes", "Backends", "HotFolder", "DaemonSupport"]),
        // Loopback HTTP/WebSocket server and fake remote services, for tests and benchmarks.
        .target(name: "FakeServers", dependencies: ["Backends", "Imaging"]),
        .executableTarget(name: "bench-comfyui", dependencies: ["Backends", "DaemonSupport", "FakeServers", "Imaging"]),
        .executableTarget(
            name: "kontextd",
            dependencies: [
                "EditPipeline", "HotFolder", "Recipes", "Backends", "Imaging", "DaemonSupport", "CSystemd", "LocalBackend",
                "FluxEngine",
            ]
        ),

        // Times the Imaging stages for bench/run. It is not a product, so an install leaves it out.
        .executableTarget(name: "kontextd-bench", dependencies: ["Imaging"]),
        // Times the native engine against PyTorch for bench/engine/run; not a product either.
        .executableTarget(name: "kontextd-engine-bench", dependencies: ["FluxEngine", "COpenBLAS"]),

        .testTarget(name: "DaemonSupportTests", dependencies: ["DaemonSupport"]),
        .testTarget(name: "RecipesTests", dependencies: ["Recipes"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "HotFolderTests", dependencies: ["HotFolder"]),
        .testTarget(
            name: "BackendsTests",
            dependencies: ["Backends", "Imaging", "DaemonSupport", "FakeServers"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "EditPipelineTests", dependencies: ["EditPipeline", "Imaging", "Recipes", "Backends"]),
        .testTarget(name: "FluxEngineTests", dependencies: ["FluxEngine", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "LocalBackendTests", dependencies: ["LocalBackend", "FluxEngine", "Imaging"]),
        .testTarget(name: "DaemonTests", dependencies: ["Imaging", "DaemonSupport", "FakeServers"], exclude: ["Fixtures"]),
        // Crash, load and hostile-input runs against the real daemon; scripts/reliability runs them at full size.
        .testTarget(name: "ReliabilityTests", dependencies: ["Imaging", "Recipes", "DaemonSupport", "FakeServers"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
