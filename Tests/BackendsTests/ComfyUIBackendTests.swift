import DaemonSupport
import FakeServers
import Imaging
import Testing

@testable import Backends

/// Builders shared by the ComfyUI tests that run against the fake server.
enum ComfyUITestKit {
    static let coding = ComfyUIImageCoding(
        encodePNG: { StoredPNG.encode($0) },
        decode: { try StoredPNG.decode($0) }
    )

    static func makeFake(_ change: (inout FakeComfyUI.Settings) -> Void = { _ in }) throws -> FakeComfyUI {
        var settings = FakeComfyUI.Settings()
        settings.processingTime = .milliseconds(20)
        change(&settings)
        let fake = FakeComfyUI(settings: settings)
        try fake.start()
        return fake
    }

    static func makeTimeouts() -> ComfyUITimeouts {
        ComfyUITimeouts(
            request: .seconds(5),
            transfer: .seconds(5),
            job: .seconds(10),
            pollInterval: .milliseconds(100),
            serverRetryDelay: .milliseconds(200),
            noServerWait: .seconds(2)
        )
    }

    static func makeBackend(
        _ fakes: [FakeComfyUI],
        graph: ComfyUIGraphSource = .kontext(KontextModelFiles()),
        timeouts: ComfyUITimeouts = makeTimeouts(),
        maximumAttempts: Int = 3,
        logs: MemoryLogHandler = MemoryLogHandler()
    ) throws -> ComfyUIBackend {
        let servers = fakes.map { ComfyUIServer(host: "127.0.0.1", port: $0.port) }
        let configuration = ComfyUIConfiguration(
            name: "gpu-pool",
            servers: servers,
            graph: graph,
            timeouts: timeouts,
            maximumAttempts: maximumAttempts
        )
        return try ComfyUIBackend(
            configuration: configuration,
            coding: coding,
            logger: Logger(label: "test", level: .debug, handler: logs)
        )
    }

    /// A solid-colour image whose colour encodes `index`, so each result can be matched to its job.
    static func makeImage(index: Int, width: Int = 40, height: Int = 30) -> Image {
        let colour: [UInt8] = [UInt8(index % 256), UInt8((index * 37) % 256), 200]
        return Image(
            width: width,
            height: height,
            layout: .rgb,
            pixels: Array((0..<(width * height)).map { _ in colour }.joined())
        )
    }

    static func makeRequest(index: Int = 1, prompt: String = "make it red", image: Image? = nil, mask: Mask? = nil)
        -> EditRequest
    {
        let image = image ?? makeImage(index: index)
        return EditRequest(
            jobID: "job \(index)",
            image: image,
            mask: mask,
            prompt: prompt,
            seed: 1000 + UInt64(index),
            steps: 20,
            guidance: 2.5,
            outputWidth: image.width,
            outputHeight: image.height
        )
    }

    /// Waits until the fake runs a prompt, plus 100 ms so the `POST /prompt` response has gone out
    /// and the client is waiting for the prompt's end.
    static func waitUntilRunning(_ fake: FakeComfyUI) async throws {
        while fake.queueLength == 0 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
    }

    static func inverted(_ image: Image) -> [UInt8] {
        image.pixels.map { 255 - $0 }
    }

    static func editError(_ backend: ComfyUIBackend, _ request: EditRequest) async -> BackendError? {
        do {
            _ = try await backend.edit(request)
            return nil
        } catch {
            return error
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct ComfyUIBackendTests {
    @Test func editReturnsJobOutput() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(index: 7)

        let result = try await backend.edit(request)

        #expect(result.image.width == 40)
        #expect(result.image.height == 30)
        #expect(result.image.pixels == ComfyUITestKit.inverted(request.image))
        #expect(result.server == "127.0.0.1:\(fake.port)")
        let graph = try #require(fake.receivedGraphs.first)
        #expect(graph["7"]?["inputs"]?["text"] == .string("make it red"))
        #expect(graph["11"]?["inputs"]?["seed"] == .integer(1007))
        let uploaded = try #require(graph["4"]?["inputs"]?["image"]?.stringValue)
        #expect(fake.inputFiles == [uploaded])
        #expect(uploaded.hasPrefix("kontextd/job_7-"))
    }

    @Test func customSizeComesBackAtLatentSize() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }
        var request = ComfyUITestKit.makeRequest(index: 3)
        request.outputWidth = 64
        request.outputHeight = 32

        let result = try await backend.edit(request)

        #expect(result.image.width == 64)
        #expect(result.image.height == 32)
        #expect(Array(result.image.pixels.prefix(3)) == Array(ComfyUITestKit.inverted(request.image).prefix(3)))
    }

    @Test func validationErrorIsPermanentWithNodeMessage() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend(
            [fake],
            graph: .kontext(KontextModelFiles(vae: "missing-vae.safetensors"))
        )
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .permanent(
                    "ComfyUI server 127.0.0.1:\(fake.port) rejected the graph: Prompt outputs failed validation; "
                        + "node 3 (VAELoader): Value not in list: vae_name: 'missing-vae.safetensors' not in [\"ae.safetensors\"]"
                )
        )
        #expect(fake.jobsRun == 0)
    }

    @Test func executionErrorIsPermanentWithNodeMessage() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        fake.scriptExecutionError(
            .init(
                trigger: "explode",
                classType: "VAEDecode",
                exceptionType: "RuntimeError",
                message: "Expected 4D input, got 3D"
            )
        )
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest(prompt: "please explode"))

        #expect(
            error
                == .permanent(
                    "ComfyUI server 127.0.0.1:\(fake.port): node 12 (VAEDecode) failed with RuntimeError: Expected 4D input, got 3D"
                )
        )
    }

    @Test func outOfMemoryIsTransient() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        fake.scriptExecutionError(
            .init(
                trigger: "huge",
                classType: "KSampler",
                exceptionType: "torch.OutOfMemoryError",
                message: "Allocation on device 0 would exceed allowed memory. (out of memory)"
            )
        )
        let backend = try ComfyUITestKit.makeBackend([fake], maximumAttempts: 1)
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest(prompt: "huge edit"))

        #expect(error?.isTransient == true)
        #expect(
            error?.description.hasSuffix(
                "node 11 (KSampler) failed with torch.OutOfMemoryError: Allocation on device 0 would exceed allowed memory. (out of memory)"
            ) == true
        )
    }

    @Test func oversizedUploadIsPermanent() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.maximumUploadSize = 2000 }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        let message = try #require(error?.description)
        #expect(error?.isTransient == false)
        #expect(
            message.hasPrefix(
                "ComfyUI server 127.0.0.1:\(fake.port) rejected POST /upload/image as too large (Maximum request body size 2000 exceeded, actual body size "
            )
        )
        #expect(message.hasSuffix("start the server with a larger --max-upload-size or send a smaller image"))
    }

    @Test func serverErrorIsTransient() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        fake.failNextRequest(path: "/prompt", status: 500)
        let backend = try ComfyUITestKit.makeBackend([fake], maximumAttempts: 1)
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .transient(
                    "ComfyUI server 127.0.0.1:\(fake.port) answered HTTP 500 to POST /prompt: 500: scripted failure"
                )
        )
    }

    @Test func refusedConnectionIsTransient() async throws {
        let fake = try ComfyUITestKit.makeFake()
        fake.stop()
        var timeouts = ComfyUITestKit.makeTimeouts()
        timeouts.noServerWait = .milliseconds(300)
        let backend = try ComfyUITestKit.makeBackend([fake], timeouts: timeouts, maximumAttempts: 1)
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .transient(
                    "ComfyUI server 127.0.0.1:\(fake.port) is unreachable: connection refused by 127.0.0.1:\(fake.port)"
                )
        )
    }

    @Test func jobTimeoutIsTransientAndCancels() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .seconds(5) }
        defer { fake.stop() }
        var timeouts = ComfyUITestKit.makeTimeouts()
        timeouts.job = .milliseconds(300)
        let backend = try ComfyUITestKit.makeBackend([fake], timeouts: timeouts, maximumAttempts: 1)
        defer { backend.shutdown() }

        let started = ContinuousClock.now
        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())
        while fake.queueLength > 0 && started.duration(to: .now) < .seconds(3) {
            try await Task.sleep(for: .milliseconds(20))
        }

        #expect(error == .transient("ComfyUI server 127.0.0.1:\(fake.port) did not finish the job within 0.3 seconds"))
        #expect(fake.queueLength == 0)
    }

    @Test func slowDownloadTimesOut() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.viewChunkDelay = .milliseconds(150) }
        defer { fake.stop() }
        var timeouts = ComfyUITestKit.makeTimeouts()
        timeouts.transfer = .milliseconds(400)
        let backend = try ComfyUITestKit.makeBackend([fake], timeouts: timeouts, maximumAttempts: 1)
        defer { backend.shutdown() }
        // About 120 kB of PNG, so eight 16 KiB pieces at 150 ms each.
        let request = ComfyUITestKit.makeRequest(image: ComfyUITestKit.makeImage(index: 2, width: 200, height: 200))

        let error = await ComfyUITestKit.editError(backend, request)

        #expect(error == .transient("ComfyUI server 127.0.0.1:\(fake.port) timed out during GET /view"))
    }

    @Test func slowDownloadWithinTimeoutSucceeds() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.viewChunkDelay = .milliseconds(20) }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(image: ComfyUITestKit.makeImage(index: 4, width: 100, height: 100))

        let result = try await backend.edit(request)

        #expect(result.image.pixels == ComfyUITestKit.inverted(request.image))
    }

    @Test func pollingWorksWithoutEventsDespiteHistoryRace() async throws {
        let fake = try ComfyUITestKit.makeFake {
            $0.sendsEvents = false
            $0.historyDelay = .milliseconds(200)
        }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(index: 9)

        let result = try await backend.edit(request)

        #expect(result.image.pixels == ComfyUITestKit.inverted(request.image))
    }

    @Test func eventsWaitForHistoryWrite() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.historyDelay = .milliseconds(200) }
        defer { fake.stop() }
        var timeouts = ComfyUITestKit.makeTimeouts()
        timeouts.pollInterval = .seconds(5)
        let backend = try ComfyUITestKit.makeBackend([fake], timeouts: timeouts)
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(index: 10)

        let result = try await backend.edit(request)

        #expect(result.image.pixels == ComfyUITestKit.inverted(request.image))
    }
}
