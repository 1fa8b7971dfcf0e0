import DaemonSupport
import FakeServers
import Imaging
import Testing

@testable import Backends

@Suite(.timeLimit(.minutes(1)))
struct ComfyUIPoolTests {
    @Test func failsOverToRunningServer() async throws {
        let down = try ComfyUITestKit.makeFake()
        down.stop()
        let up = try ComfyUITestKit.makeFake()
        defer { up.stop() }
        let logs = MemoryLogHandler()
        let backend = try ComfyUITestKit.makeBackend([down, up], logs: logs)
        defer { backend.shutdown() }

        let results = try await withThrowingTaskGroup(of: (Int, EditResult).self) { group in
            for index in 0..<6 {
                group.addTask { (index, try await backend.edit(ComfyUITestKit.makeRequest(index: index))) }
            }
            return try await group.reduce(into: [Int: EditResult]()) { $0[$1.0] = $1.1 }
        }

        for index in 0..<6 {
            #expect(results[index]?.server == "127.0.0.1:\(up.port)")
            #expect(results[index]?.image.pixels == ComfyUITestKit.inverted(ComfyUITestKit.makeImage(index: index)))
        }
        #expect(up.jobsRun == 6)
        #expect(
            logs.records.contains {
                $0.message == "ComfyUI server taken out of the pool"
                    && $0.metadata["server"] == "127.0.0.1:\(down.port)"
            }
        )
    }

    @Test func restartLosingQueueIsRetried() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .seconds(3) }
        defer { fake.stop() }
        let logs = MemoryLogHandler()
        let backend = try ComfyUITestKit.makeBackend([fake], logs: logs)
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(index: 5)

        async let result = backend.edit(request)
        try await ComfyUITestKit.waitUntilRunning(fake)
        fake.restart()
        let image = try await result.image

        #expect(image.pixels == ComfyUITestKit.inverted(request.image))
        // The lost prompt and its resubmission after the restart.
        #expect(fake.receivedGraphs.count == 2)
        #expect(logs.records.contains { $0.message == "ComfyUI attempt failed" })
        #expect(logs.records.contains { $0.message == "ComfyUI server back in the pool" })
    }

    @Test func lostQueueWithoutRetryIsTransient() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .seconds(3) }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake], maximumAttempts: 1)
        defer { backend.shutdown() }

        async let error = ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())
        try await ComfyUITestKit.waitUntilRunning(fake)
        fake.restart()
        let failure = try #require(await error)

        #expect(failure.isTransient)
        #expect(failure.description.hasPrefix("ComfyUI server 127.0.0.1:\(fake.port) lost prompt "))
        #expect(
            failure.description.hasSuffix("(it is in neither the queue nor the history; the server probably restarted)")
        )
    }

    @Test func serverCrashMovesJobsToOtherServer() async throws {
        let first = try ComfyUITestKit.makeFake { $0.processingTime = .milliseconds(100) }
        let second = try ComfyUITestKit.makeFake { $0.processingTime = .milliseconds(100) }
        defer { second.stop() }
        let backend = try ComfyUITestKit.makeBackend([first, second])
        defer { backend.shutdown() }

        let results = try await withThrowingTaskGroup(of: (Int, EditResult).self) { group in
            for index in 0..<8 {
                group.addTask { (index, try await backend.edit(ComfyUITestKit.makeRequest(index: index))) }
            }
            try await Task.sleep(for: .milliseconds(150))
            first.stop()
            return try await group.reduce(into: [Int: EditResult]()) { $0[$1.0] = $1.1 }
        }

        #expect(results.count == 8)
        for index in 0..<8 {
            #expect(results[index]?.image.pixels == ComfyUITestKit.inverted(ComfyUITestKit.makeImage(index: index)))
        }
        #expect(results.values.contains { $0.server == "127.0.0.1:\(second.port)" })
    }

    @Test func keepsOneJobQueuedAhead() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .milliseconds(700) }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<6 {
                group.addTask { _ = try await backend.edit(ComfyUITestKit.makeRequest(index: index)) }
            }
            try await group.waitForAll()
        }

        #expect(fake.jobsRun == 6)
        #expect(fake.maximumQueueLength == 2)
    }

    @Test func allServersDownFailsAfterWait() async throws {
        let fake = try ComfyUITestKit.makeFake()
        fake.stop()
        var timeouts = ComfyUITestKit.makeTimeouts()
        timeouts.noServerWait = .milliseconds(300)
        let backend = try ComfyUITestKit.makeBackend([fake], timeouts: timeouts, maximumAttempts: 2)
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .transient(
                    "no ComfyUI server is available: ComfyUI server 127.0.0.1:\(fake.port) is unreachable: connection refused by 127.0.0.1:\(fake.port)"
                )
        )
    }

    @Test func workflowBindingsDriveTheGraph() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let workflow = try ComfyUIWorkflow(
            json: Array(Self.workflowText.utf8),
            bindings: ComfyUIWorkflowTests.makeBindings()
        )
        let backend = try ComfyUITestKit.makeBackend([fake], graph: .workflow(workflow))
        defer { backend.shutdown() }
        let image = ComfyUITestKit.makeImage(index: 11, width: 20, height: 10)
        var maskValues = [UInt8](repeating: 0, count: 200)
        for row in 0..<10 { for column in 10..<20 { maskValues[row * 20 + column] = 255 } }
        let request = ComfyUITestKit.makeRequest(
            index: 11,
            prompt: "remove the pole",
            image: image,
            mask: Mask(width: 20, height: 10, values: maskValues)
        )

        let result = try await backend.edit(request)

        let graph = try #require(fake.receivedGraphs.first)
        #expect(graph["6"]?["inputs"]?["text"] == .string("remove the pole"))
        #expect(graph["3"]?["inputs"]?["seed"] == .integer(1011))
        #expect(graph["11"]?["inputs"]?["image"]?.stringValue?.hasSuffix("-mask.png") == true)
        let leftPixel = Array(result.image.pixels[0..<3])
        let rightPixel = Array(result.image.pixels[(15 * 3)..<(16 * 3)])
        #expect(leftPixel == Array(image.pixels[0..<3]))
        #expect(rightPixel == Array(image.pixels[0..<3]).map { 255 - $0 })
    }

    static let workflowText = """
        {"1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev-kontext_fp8_scaled.safetensors", "weight_dtype": "default"}},
         "2": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "clip_l.safetensors", "clip_name2": "t5xxl_fp8_e4m3fn_scaled.safetensors", "type": "flux"}},
         "3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20, "cfg": 1.0, "sampler_name": "euler",
               "scheduler": "simple", "denoise": 1.0, "model": ["1", 0], "positive": ["6", 0], "negative": ["6", 0],
               "latent_image": ["13", 0]}},
         "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "placeholder", "clip": ["2", 0]}},
         "7": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
         "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["7", 0]}},
         "10": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
         "11": {"class_type": "LoadImageMask", "inputs": {"image": "mask.png", "channel": "red"}},
         "12": {"class_type": "VAEEncode", "inputs": {"pixels": ["10", 0], "vae": ["7", 0]}},
         "13": {"class_type": "SetLatentNoiseMask", "inputs": {"samples": ["12", 0], "mask": ["11", 0]}},
         "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}}}
        """
}

@Suite(.timeLimit(.minutes(1)))
struct ComfyUIEventChannelTests {
    @Test func reconnectsWithNewClientID() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }

        _ = try await backend.edit(ComfyUITestKit.makeRequest(index: 1))
        fake.restart()
        try await Task.sleep(for: .milliseconds(100))
        let result = try await backend.edit(ComfyUITestKit.makeRequest(index: 2))

        let connected = fake.connectedClientIDs
        let queuedWith = fake.receivedClientIDs
        #expect(result.image.pixels == ComfyUITestKit.inverted(ComfyUITestKit.makeImage(index: 2)))
        #expect(connected.count == 2)
        #expect(Set(connected).count == 2)
        #expect(queuedWith == connected.map { Optional($0) })
    }
}
