import Foundation
import Testing

@testable import FluxEngine

/// Times one decode with random weights; it prints and asserts nothing about speed. Enabled only
/// when FLUX_VAE_BENCHMARK is set, e.g.
/// `FLUX_VAE_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --filter VAEBenchmarkTests`.
/// `scripts/fixtures/vae_fixtures.py --benchmark` times the same configurations in PyTorch.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FLUX_VAE_BENCHMARK"] != nil))
struct VAEBenchmarkTests {
    struct Configuration: CustomTestStringConvertible, Sendable {
        var name: String
        var channels: [Int]
        var groups: Int
        var latentSize: Int
        var testDescription: String { "\(name) \(channels) latent \(latentSize)x\(latentSize)" }
    }

    static let configurations = [
        Configuration(name: "tiny", channels: [16, 32, 32, 32], groups: 8, latentSize: 32),
        Configuration(name: "mid", channels: [64, 128, 256, 256], groups: 32, latentSize: 32),
    ]

    /// Random weights under BFL names for a VAE with the configuration's channels per level.
    static func makeWeights(_ configuration: Configuration) -> MemoryWeightStore {
        let architecture = VAEArchitecture(
            imageChannels: 3, latentChannels: 16, levelChannels: configuration.channels, encoderBlocks: 2, decoderBlocks: 3
        )
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var tensors: [String: Tensor] = [:]
        for (name, shape) in architecture.tensorShapes {
            // Uniform values scaled by 1/√fan-in keep activations of order 1 through the layers.
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
            let scale = name.hasSuffix(".weight") && shape.count > 1 ? 2 / Float(fanIn).squareRoot() : 0.2
            let values = (0..<shape.reduce(1, *)).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * scale
            }
            tensors[name] = Tensor(shape: shape, storage: values)
        }
        return MemoryWeightStore(tensors)
    }

    @Test(arguments: configurations) func decodeTime(_ configuration: Configuration) throws {
        let vae = try FluxVAE(weights: Self.makeWeights(configuration), groups: configuration.groups)
        let size = configuration.latentSize
        let latents = Tensor(shape: [16, size, size], storage: (0..<(16 * size * size)).map { sinf(Float($0)) })
        _ = try vae.decode(latents)  // warm-up: page in the code and let OpenBLAS start its threads

        var best = Double.infinity
        let cpuStart = Self.processCPUSeconds()
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try vae.decode(latents)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let cpu = (Self.processCPUSeconds() - cpuStart) / 3
        // CPU time is less sensitive than wall time to other processes on a shared machine, but it
        // also counts the time OpenBLAS threads spend spinning while they wait for work.
        print(
            "VAE decode \(configuration.testDescription): \(String(format: "%.3f", best)) s wall (best of 3), "
                + "\(String(format: "%.3f", cpu)) s CPU (mean)"
        )
    }

    /// Returns the CPU time of all threads of this process, in seconds.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
