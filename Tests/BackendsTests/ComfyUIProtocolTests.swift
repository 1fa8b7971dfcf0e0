import DaemonSupport
import FakeServers
import Imaging
import Testing

@testable import Backends

@Suite(.timeLimit(.minutes(1)))
struct ComfyUIProtocolTests {
    func makeClient(_ fake: FakeComfyUI) -> ComfyUIServerClient {
        ComfyUIServerClient(endpoint: fake.endpoint, timeouts: ComfyUITestKit.makeTimeouts())
    }

    @Test func uploadUsesNameServerReturns() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let client = makeClient(fake)

        let first = try await client.upload([1, 2, 3], filename: "photo.png", subfolder: "kontextd")
        let same = try await client.upload([1, 2, 3], filename: "photo.png", subfolder: "kontextd")
        let different = try await client.upload([4, 5, 6], filename: "photo.png", subfolder: "kontextd")

        #expect(first == "kontextd/photo.png")
        #expect(same == "kontextd/photo.png")
        #expect(different == "kontextd/photo (1).png")
        #expect(fake.inputFiles == ["kontextd/photo (1).png", "kontextd/photo.png"])
    }

    @Test func interruptedJobIsTransient() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .seconds(10) }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake], maximumAttempts: 1)
        defer { backend.shutdown() }

        async let error = ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())
        try await ComfyUITestKit.waitUntilRunning(fake)
        let interrupt = HTTPClientRequest(method: "POST", target: "/interrupt")
        _ = try await HTTPClient.send(interrupt, to: fake.endpoint, timeout: .seconds(2))

        #expect(await error == .transient("ComfyUI server 127.0.0.1:\(fake.port) interrupted the job at node 11"))
    }

    @Test func cancelledJobLeavesServerQueue() async throws {
        let fake = try ComfyUITestKit.makeFake { $0.processingTime = .seconds(5) }
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake])
        defer { backend.shutdown() }

        let task = Task { await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest()) }
        try await ComfyUITestKit.waitUntilRunning(fake)
        task.cancel()
        let error = await task.value
        let started = ContinuousClock.now
        while fake.queueLength > 0 && started.duration(to: .now) < .seconds(3) {
            try await Task.sleep(for: .milliseconds(20))
        }

        #expect(error == .transient("the job on ComfyUI server 127.0.0.1:\(fake.port) was cancelled"))
        #expect(fake.queueLength == 0)
        #expect(fake.receivedGraphs.count == 1)
    }

    @Test func validationMessageListsEveryReason() throws {
        let body = try #require(
            JSONValue.parse(
                Array(
                    #"""
                    {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                               "details": "", "extra_info": {}},
                     "node_errors": {
                       "11": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                                          "details": "sampler_name: 'eulr' not in (list of length 40)", "extra_info": {}},
                                         {"type": "value_bigger_than_max", "message": "Value 20000 bigger than max of 10000",
                                          "details": "steps", "extra_info": {}}],
                              "dependent_outputs": ["13"], "class_type": "KSampler"},
                       "4": {"errors": [{"type": "custom_validation_failed", "message": "Custom validation failed for node",
                                         "details": "image - Invalid image file: gone.png", "extra_info": {}}],
                             "dependent_outputs": ["13"], "class_type": "LoadImage"}}}
                    """#.utf8
                )
            )
        )

        let message = ComfyUIServerClient.validationMessage(body)

        #expect(
            message == "Prompt outputs failed validation; "
                + "node 11 (KSampler): Value not in list: sampler_name: 'eulr' not in (list of length 40); "
                + "node 11 (KSampler): Value 20000 bigger than max of 10000: steps; "
                + "node 4 (LoadImage): Custom validation failed for node: image - Invalid image file: gone.png"
        )
    }

    @Test func unknownNodeClassIsPermanent() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        var bindings = ComfyUIWorkflowTests.makeBindings()
        bindings.mask = nil
        let graph = try #require(
            JSONValue.parse(
                Array(
                    #"""
                    {"10": {"class_type": "LoadImage", "inputs": {"image": "x.png"}},
                     "20": {"class_type": "InpaintCrop", "inputs": {"image": ["10", 0]}},
                     "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["20", 1]}},
                     "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
                     "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}}
                    """#.utf8
                )
            )
        )
        let backend = try ComfyUITestKit.makeBackend(
            [fake],
            graph: .workflow(ComfyUIWorkflow(graph: graph, bindings: bindings))
        )
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .permanent(
                    "ComfyUI server 127.0.0.1:\(fake.port) rejected the graph: Cannot execute because node InpaintCrop does not exist.: Node ID '#20'"
                )
        )
    }

    @Test func invalidConfigurationIsRejected() {
        let configuration = ComfyUIConfiguration(
            name: "gpu",
            servers: [ComfyUIServer(host: "127.0.0.1", port: 8188, concurrency: 0)]
        )

        #expect(throws: ComfyUIConfigurationError.invalidConcurrency(server: "127.0.0.1:8188", value: 0)) {
            try ComfyUIBackend(
                configuration: configuration,
                coding: ComfyUITestKit.coding,
                logger: Logger(label: "test", handler: MemoryLogHandler())
            )
        }
        #expect(
            ComfyUIConfigurationError.noServers(backend: "gpu").description
                == "ComfyUI backend 'gpu' lists no servers; add at least one 'host:port'"
        )
    }
}

struct ComfyUIServerAddressTests {
    struct AddressCase: Sendable, CustomTestStringConvertible {
        var address: String
        var host: String
        var port: Int
        var testDescription: String { address }
    }

    @Test(arguments: [
        AddressCase(address: "gpu1:8190", host: "gpu1", port: 8190),
        AddressCase(address: "http://10.0.0.5:8188/", host: "10.0.0.5", port: 8188),
        AddressCase(address: "gpu2", host: "gpu2", port: 8188),
        AddressCase(address: "[::1]:9000", host: "::1", port: 9000),
        AddressCase(address: " HTTP://[fd00::2] ", host: "fd00::2", port: 8188),
    ])
    func addressParses(_ testCase: AddressCase) throws {
        let server = try ComfyUIServer(address: testCase.address, concurrency: 2)

        #expect(server.endpoint == HTTPEndpoint(host: testCase.host, port: testCase.port))
        #expect(server.concurrency == 2)
        #expect(server.queueAhead == 1)
    }

    @Test(arguments: [
        ("https://gpu1:8188", "https is not supported; use http:// on a private network or a local TLS proxy"),
        ("http://gpu1:8188/api", "use host:port or http://host:port, without a path"),
        ("gpu1:99999", "the port must be a number from 1 to 65535"),
        ("gpu1:", "the port must be a number from 1 to 65535"),
        (":8188", "the host is missing"),
    ])
    func invalidAddressIsRejected(_ address: String, _ reason: String) {
        #expect(throws: ComfyUIConfigurationError.invalidServerAddress(address: address, reason: reason)) {
            try ComfyUIServer(address: address)
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct ComfyUIPartialValidationTests {
    /// The test workflow plus a second output, node 30, that reads from a VAE file the server lacks.
    static func makeWorkflow(outputNode: String) throws -> ComfyUIWorkflow {
        var graph = try #require(JSONValue.parse(Array(ComfyUIPoolTests.workflowText.utf8))?.objectValue)
        graph["31"] = KontextGraph.node("VAELoader", ["vae_name": .string("missing-vae.safetensors")])
        graph["32"] = KontextGraph.node(
            "VAEDecode",
            ["samples": KontextGraph.link("3"), "vae": KontextGraph.link("31")]
        )
        graph["30"] = KontextGraph.node(
            "SaveImage",
            ["images": KontextGraph.link("32"), "filename_prefix": .string("ComfyUI")]
        )
        // The mask stays bound: a job without a mask uploads an all-white one, so the whole image is edited.
        let bindings = ComfyUIWorkflowTests.makeBindings(outputNode: outputNode)
        return ComfyUIWorkflow(graph: .object(graph), bindings: bindings)
    }

    @Test func droppedOtherOutputStillSucceeds() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake], graph: .workflow(Self.makeWorkflow(outputNode: "9")))
        defer { backend.shutdown() }
        let request = ComfyUITestKit.makeRequest(index: 12)

        let result = try await backend.edit(request)

        #expect(result.image.pixels == ComfyUITestKit.inverted(request.image))
    }

    @Test func droppedBoundOutputIsPermanent() async throws {
        let fake = try ComfyUITestKit.makeFake()
        defer { fake.stop() }
        let backend = try ComfyUITestKit.makeBackend([fake], graph: .workflow(Self.makeWorkflow(outputNode: "30")))
        defer { backend.shutdown() }

        let error = await ComfyUITestKit.editError(backend, ComfyUITestKit.makeRequest())

        #expect(
            error
                == .permanent(
                    "ComfyUI server 127.0.0.1:\(fake.port) rejected the graph: node 31 (VAELoader): Value not in list: "
                        + "vae_name: 'missing-vae.safetensors' not in [\"ae.safetensors\"]"
                )
        )
        #expect(fake.receivedGraphs.count == 1)
    }
}
