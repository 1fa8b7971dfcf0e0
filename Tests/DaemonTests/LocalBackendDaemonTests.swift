import Foundation
import Imaging
import Testing

/// The daemon with `backend: local`: a tiny random FLUX.1 Kontext model run by the native engine,
/// compared with diffusers' FluxKontextPipeline on the same weights, prompt and seed
/// (scripts/fixtures/local_backend_fixtures.py writes the fixtures).
@Suite(.serialized)
struct LocalBackendDaemonTests {
    private static let fixtures = DaemonHarness.repositoryRoot + "/Tests/DaemonTests/Fixtures/local"
    private static let clipTokenizer = DaemonHarness.repositoryRoot + "/share/kontextd/tokenizers/clip"
    private static let t5Tokenizer = DaemonHarness.repositoryRoot + "/Tests/FluxEngineTests/Fixtures/text/t5/spiece.model"

    private func makeDaemon(transformer: String = fixtures + "/transformer.safetensors", extra: String = "") throws -> DaemonHarness {
        try DaemonHarness(
            extraConfiguration: """
                backends:
                  - name: cpu
                    type: local
                    transformer: \(transformer)
                    vae: \(Self.fixtures)/vae.safetensors
                    clip_l: \(Self.fixtures)/clip_l.safetensors
                    t5xxl: \(Self.fixtures)/t5xxl.safetensors
                    clip_tokenizer: \(Self.clipTokenizer)
                    t5_tokenizer: \(Self.t5Tokenizer)
                    threads: 2
                default_backend: cpu
                \(extra)
                """
        )
    }

    private func decodePNG(_ path: String) throws -> Image {
        try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).image.converted(to: .rgb)
    }

    @Test func editMatchesTheDiffusersPipeline() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let input = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/input.png"))
        try daemon.drop(
            text: "prompt: Make the cups glow in warm neon light, keep the table\nseed: 42\nsteps: 3\nguidance: 2.5\n",
            as: "cups.yaml"
        )
        try daemon.drop(data: input, as: "cups.png")

        let output = daemon.outbox + "/cups-edited.png"
        let logPath = daemon.outbox + "/cups.job.json"
        let finished = await DaemonHarness.waitUntil(timeout: 300) {
            FileManager.default.fileExists(atPath: logPath) || !DaemonHarness.files(under: daemon.failed).isEmpty
        }
        #expect(finished)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty, "\(daemon.log)")
        await daemon.stop()
        let produced = try decodePNG(output)
        let expected = try decodePNG(Self.fixtures + "/expected.png")
        #expect(produced.width == expected.width)
        #expect(produced.height == expected.height)

        // Both sides compute in float32 from the same float16-rounded weights, and only the order of
        // summation differs (OpenBLAS against PyTorch's kernels). That moves the latents by about 1e-5
        // and an 8-bit pixel by one level where its value is near a rounding boundary.
        var worst = 0
        var total = 0
        for (a, b) in zip(produced.pixels, expected.pixels) {
            let difference = abs(Int(a) - Int(b))
            worst = max(worst, difference)
            total += difference
        }
        let mean = Double(total) / Double(expected.pixels.count)
        #expect(worst <= 2, "largest pixel difference \(worst)")
        #expect(mean < 0.05, "mean pixel difference \(mean)")

        let log = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: logPath))) as? [String: Any]
        )
        let stages = (log["timings"] as? [[String: Any]] ?? []).compactMap { $0["stage"] as? String }
        #expect(stages.contains("backend: text encoding"))
        #expect(stages.contains("backend: denoising step 3"))
        #expect(stages.contains("backend: decoding"))
        #expect(log["server"] as? String == "local engine")
    }

    @Test func missingWeightsFailTheJobNamingTheFile() async throws {
        let missing = NSTemporaryDirectory() + "kontextd-no-such-model.gguf"
        let daemon = try makeDaemon(transformer: missing)
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\n", as: "cups.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "cups.jpg")

        let failed = await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("cups.jpg.error.txt") }
        }
        #expect(failed, "\(daemon.log)")
        await daemon.stop()
        let files = DaemonHarness.files(under: daemon.failed)
        let report = try #require(files.first { $0.hasSuffix("cups.jpg.error.txt") })
        let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
        #expect(text.contains("the transformer file '\(missing)' does not exist"), "\(text)")
        #expect(files.contains { $0.hasSuffix("/cups.jpg") })
    }

    @Test func wrongModelFailsNamingTheKeyAndTheFile() async throws {
        let daemon = try makeDaemon(transformer: Self.fixtures + "/vae.safetensors")
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\nsteps: 2\n", as: "cups.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "cups.jpg")

        let failed = await DaemonHarness.waitUntil(timeout: 120) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("cups.jpg.error.txt") }
        }
        #expect(failed, "\(daemon.log)")
        await daemon.stop()
        let files = DaemonHarness.files(under: daemon.failed)
        let report = try #require(files.first { $0.hasSuffix("cups.jpg.error.txt") })
        let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
        #expect(text.contains("local engine, transformer '\(Self.fixtures)/vae.safetensors': tensor 'img_in.weight' is missing"), "\(text)")
        #expect(text.contains("'transformer' must name the Flux Kontext transformer"), "\(text)")
        #expect(!text.contains("backend 'cpu': backend 'cpu'"), "\(text)")
    }

    /// `kontextd check` opens the model files, so a wrong one is reported before any job fails on it.
    @Test func checkReportsAWrongModelFile() throws {
        let good = try makeDaemon()
        let bad = try makeDaemon(transformer: Self.fixtures + "/vae.safetensors")

        let valid = try DaemonHarness.runCommand(["check", "--config", good.configPath])
        let wrong = try DaemonHarness.runCommand(["check", "--config", bad.configPath])

        #expect(valid.status == 0, "\(valid.stdout)")
        #expect(wrong.status == 1, "\(wrong.stdout)")
        #expect(
            wrong.stdout.contains("transformer '\(Self.fixtures)/vae.safetensors' of backend 'cpu' cannot be used: tensor 'img_in.weight' is missing"),
            "\(wrong.stdout)"
        )
        #expect(wrong.stdout.contains("'transformer' must name the Flux Kontext transformer"), "\(wrong.stdout)")
    }

    /// A denoising step can take minutes with real weights, so SIGTERM must not wait for one to end.
    @Test func stopDuringAnEditReturnsTheJobWithoutWaitingForTheStep() async throws {
        let daemon = try makeDaemon(extra: "stop_timeout: 1")
        try await daemon.start()
        let input = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/input.png"))
        try daemon.drop(text: "prompt: make it night\nsteps: 50\nseed: 1\n", as: "cups.yaml")
        try daemon.drop(data: input, as: "cups.png")
        let statusFile = daemon.state + "/status.json"
        let denoising = await DaemonHarness.waitUntil(timeout: 120) {
            (try? String(contentsOfFile: statusFile, encoding: .utf8))?.contains("denoising") ?? false
        }
        #expect(denoising, "\(daemon.log)")
        let status = try DaemonHarness.runCommand(["status", "--config", daemon.configPath])
        #expect(status.stdout.contains(": cups.png for "), "\(status.stdout)")
        #expect(status.stdout.contains(", denoising "), "\(status.stdout)")

        // Generous bound: stop_timeout is 1 s, and one step of this model at 1024x1024 takes seconds.
        let stoppedBy = Date().addingTimeInterval(20)
        let exitStatus = await daemon.stop(timeout: 60)
        #expect(exitStatus == 0, "\(daemon.log)")
        #expect(Date() < stoppedBy, "the daemon waited for the engine instead of returning the job")
        #expect(DaemonHarness.files(under: daemon.inbox) == ["cups.png", "cups.yaml"], "\(daemon.log)")
        #expect(DaemonHarness.files(under: daemon.outbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }
}
