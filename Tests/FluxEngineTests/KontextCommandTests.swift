import Foundation
import Imaging
import Testing

@testable import FluxEngine

/// End to end against diffusers' `FluxKontextPipeline` output: the reference PNG through the VAE,
/// the denoiser and the decoder, in the engine and through `kontextd engine denoise`.
@Suite struct KontextCommandTests {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `kontextd` binary built beside the test bundle (same configuration as the tests).
    static let binary: String = {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("kontextd").path,
            repositoryRoot + "/.build/release/kontextd",
            repositoryRoot + "/.build/debug/kontextd",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    static let fixtures = repositoryRoot + "/Tests/FluxEngineTests/Fixtures"

    static func decodePNG(_ path: String) throws -> Image {
        let data = try #require(FileManager.default.contents(atPath: path), "cannot read \(path)")
        return try ImageDecoder.decode([UInt8](data)).image
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    static func denoiseArguments(output: String) -> [String] {
        [
            "engine", "denoise",
            "--transformer", fixtures + "/transformer/weights-bfl.safetensors",
            "--vae", fixtures + "/kontext/vae-diffusers.safetensors",
            "--reference", fixtures + "/kontext/reference.png",
            "--conditioning", fixtures + "/kontext/conditioning.safetensors",
            "--width", "64", "--height", "48", "--steps", "3", "--guidance", "2.5", "--seed", "7",
            "--output", output, "--reference-size", "keep", "--rope-axes", "4,6,6", "--vae-groups", "8",
        ]
    }

    @Test func engineMatchesPipelineImage() throws {
        let run = try KontextFixtures.file("run.safetensors")
        let conditioningFile = try KontextFixtures.file("conditioning.safetensors")
        let transformer = try FluxTransformer(
            weights: TransformerFixtures.file("weights-bfl.safetensors"), axesDimensions: TransformerFixtures.axes
        )
        let vae = try FluxVAE(weights: KontextFixtures.file("vae-diffusers.safetensors"), groups: 8)
        let reference = try Self.decodePNG(Self.fixtures + "/kontext/reference.png")
        var pixels = [Float](repeating: 0, count: 3 * reference.width * reference.height)
        let plane = reference.width * reference.height
        for pixel in 0..<plane {
            for channel in 0..<3 { pixels[channel * plane + pixel] = Float(reference.pixels[pixel * 3 + channel]) / 255 * 2 - 1 }
        }
        let referenceLatents = try vae.encode(Tensor(shape: [3, reference.height, reference.width], storage: pixels))
        let expectedReference = try run.load("reference_latents")
        // The tiny VAE's encoder output, float32 against float32 with another summation order.
        #expect(referenceLatents.maxAbsoluteDifference(to: expectedReference) <= 1e-5 * max(expectedReference.maxMagnitude, 1))

        let latents = try KontextDenoiser(transformer: transformer).denoise(
            conditioning: KontextConditioning(
                promptEmbeddings: conditioningFile.load("prompt_embeds"),
                pooledEmbedding: conditioningFile.load("pooled_prompt_embeds")
            ),
            reference: referenceLatents, width: 64, height: 48, steps: 3, guidance: 2.5, seed: 7
        )
        let decoded = try vae.decode(latents)
        let unit = Ops.map(decoded) { min(max($0 / 2 + 0.5, 0), 1) }
        let expected = try run.load("image")
        // Pixel values in [0, 1]: 1e-4 is 0.03 of an 8-bit level, far below what a wrong stage gives.
        #expect(unit.maxAbsoluteDifference(to: expected) <= 1e-4)
    }

    @Test func commandWritesPipelineImage() throws {
        let directory = NSTemporaryDirectory() + "kontextd-engine-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out.png"

        let result = try Self.run(Self.denoiseArguments(output: output) + ["--latents-dir", directory + "/latents"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("kontextd engine: step 3/3 done"))

        let image = try Self.decodePNG(output)
        let expected = try Self.decodePNG(Self.fixtures + "/kontext/output.png")
        #expect(image.width == 64)
        #expect(image.height == 48)
        // 8-bit rounding of values within 1e-4 of the pipeline's can flip at most one level.
        let worst = zip(image.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 255
        #expect(worst <= 1)

        let run = try KontextFixtures.file("run.safetensors")
        for step in 0..<3 {
            let file = try SafeTensorsFile(path: directory + "/latents/" + String(format: "step-%03d.safetensors", step))
            let latents = try file.load("latents")
            let expectedLatents = try run.load("step\(step)")
            #expect(latents.maxAbsoluteDifference(to: expectedLatents) <= 1e-5 * expectedLatents.maxMagnitude, "step \(step)")
        }
    }

    @Test(arguments: [
        (["--width", "60"], "kontextd engine: --width is '60'; use a multiple of 16, from 16 to 4096; see 'kontextd help engine'\n"),
        (["--height", "16384"], "kontextd engine: --height is '16384'; use a multiple of 16, from 16 to 4096; see 'kontextd help engine'\n"),
        (["--steps", "0"], "kontextd engine: --steps is '0'; use an integer from 1 to 1000; see 'kontextd help engine'\n"),
        (["--threads", "0"], "kontextd engine: --threads is '0'; use an integer of at least 1; see 'kontextd help engine'\n"),
        (["--reference-size", "crop"], "kontextd engine: --reference-size is 'crop'; use 'kontext' or 'keep'; see 'kontextd help engine'\n"),
    ])
    func commandRejectsBadOption(extra: [String], message: String) throws {
        let result = try Self.run(Self.denoiseArguments(output: "/nonexistent/out.png") + extra)
        #expect(result.status == 64)
        #expect(result.stderr == message)
    }

    @Test(arguments: [
        ("/nonexistent/out.png", "kontextd engine: --output is '/nonexistent/out.png', but its folder does not exist or is not writable; see 'kontextd help engine'\n"),
        ("/tmp/out.jpg", "kontextd engine: --output is '/tmp/out.jpg'; the engine writes PNG, so name the file with .png; see 'kontextd help engine'\n"),
    ])
    func commandChecksTheOutputBeforeRunning(output: String, message: String) throws {
        let result = try Self.run(Self.denoiseArguments(output: output))
        #expect(result.status == 64)
        #expect(result.stderr == message)
    }

    @Test func commandNamesMissingConditioningTensor() throws {
        let directory = NSTemporaryDirectory() + "kontextd-engine-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let conditioning = directory + "/conditioning.safetensors"
        try SafeTensorsWriter.write(["prompt_embeds": Tensor(shape: [2, 32])], to: conditioning)
        var arguments = Self.denoiseArguments(output: directory + "/out.png")
        let index = try #require(arguments.firstIndex(of: "--conditioning"))
        arguments[index + 1] = conditioning

        let result = try Self.run(arguments)
        #expect(result.status == 1)
        let expected = "kontextd engine: conditioning file '\(conditioning)' has no tensor 'pooled_prompt_embeds'; "
            + "it needs prompt_embeds [T, context] and pooled_prompt_embeds [pooled]\n"
        #expect(result.stderr == expected)
    }
}
