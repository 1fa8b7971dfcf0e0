import Backends
import DaemonSupport
import FakeServers
import Foundation
import Imaging
import Synchronization
import Testing

/// The hosted backend with each shipped profile against the matching fake provider on loopback.
@Suite struct HostedBackendTests {
    private func makeBackend(_ server: FakeHosted, logs: MemoryLogHandler = MemoryLogHandler(), jobTimeout: Double = 20) throws -> HostedBackend {
        HostedBackend(
            name: "hosted",
            profile: try HostedFixtures.profile(for: server, jobTimeout: jobTimeout),
            key: try HostedKey(value: server.settings.key),
            logger: Logger(label: "test", level: .debug, handler: logs)
        )
    }

    /// Returns a backend with one run slot, whose edits wait up to `submitWait` seconds for it.
    private func singleSlotBackend(_ server: FakeHosted, submitWait: Double) throws -> HostedBackend {
        var profile = try HostedFixtures.profile(for: server, jobTimeout: 30)
        profile.limits.maxInFlight = 1
        profile.timeouts.submitWait = submitWait
        return HostedBackend(
            name: "hosted",
            profile: profile,
            key: try HostedKey(value: server.settings.key),
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )
    }

    private func fillMask(for image: Image) -> Mask {
        var mask = Mask(width: image.width, height: image.height)
        for y in 10..<30 { for x in 20..<50 { mask.values[y * image.width + x] = 255 } }
        return mask
    }

    private func request(for flavor: FakeHosted.Flavor, image: Image, checkpoint: MemoryCheckpoint?) -> EditRequest {
        flavor == .bflFill
            ? HostedFixtures.request(image, checkpoint: checkpoint, mask: fillMask(for: image), prompt: "grass")
            : HostedFixtures.request(image, checkpoint: checkpoint)
    }

    private func expectFailure(_ backend: HostedBackend, _ request: EditRequest) async -> BackendError? {
        do {
            _ = try await backend.edit(request)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: FakeHosted.Flavor.allCases)
    func editSucceedsWithOneSubmit(flavor: FakeHosted.Flavor) async throws {
        let server = try HostedFixtures.startServer(flavor)
        defer { server.stop() }
        let backend = try makeBackend(server)
        let checkpoint = MemoryCheckpoint()
        let image = HostedFixtures.gradient()

        let result = try await backend.edit(request(for: flavor, image: image, checkpoint: checkpoint))

        #expect(server.submits == 1)
        #expect(server.polls >= 3)
        #expect(server.downloads == 1)
        #expect(result.image.converted(to: .rgb).pixels == image.pixels.map { 255 - $0 })
        let record = checkpoint.load()
        #expect(record["state"] == "submitted")
        #expect(record["run_id"] != nil)
        let pollURL = try HostedURL(parsing: try #require(record["poll_url"]))
        if flavor == .runs {
            #expect(pollURL.endpoint.port == server.apiPort)
        } else {
            #expect(pollURL.endpoint == HTTPEndpoint(host: "localhost", port: server.deliveryPort))
        }
        #expect(result.server?.contains(HostedFixtures.profileName(flavor)) == true)
    }

    @Test(arguments: FakeHosted.Flavor.allCases)
    func unknownStatusKeepsPolling(flavor: FakeHosted.Flavor) async throws {
        let server = try HostedFixtures.startServer(flavor) { $0.unknownStatusPolls = 3 }
        defer { server.stop() }
        let logs = MemoryLogHandler()
        let backend = try makeBackend(server, logs: logs)

        _ = try await backend.edit(request(for: flavor, image: HostedFixtures.gradient(), checkpoint: nil))

        let warnings = logs.records.filter { $0.message == "Hosted run has an unknown status; still polling" }
        #expect(warnings.count == 1, "one warning per unknown word, not one per poll")
        #expect(server.polls >= 6)
    }

    @Test(arguments: FakeHosted.Flavor.allCases)
    func moderatedRunFailsPermanently(flavor: FakeHosted.Flavor) async throws {
        let server = try HostedFixtures.startServer(flavor) { $0.outcome = .moderated }
        defer { server.stop() }
        let backend = try makeBackend(server)

        let error = await expectFailure(backend, request(for: flavor, image: HostedFixtures.gradient(), checkpoint: nil))

        let failure = try #require(error)
        #expect(!failure.isTransient)
        #expect(failure.description.contains("the provider's content filter rejected the run"), "\(failure)")
        #expect(server.submits == 1)
    }

    @Test(arguments: FakeHosted.Flavor.allCases)
    func failedRunHidesEchoedKey(flavor: FakeHosted.Flavor) async throws {
        let server = try HostedFixtures.startServer(flavor) {
            $0.outcome = .fail("worker crashed")
            $0.echoKeyInErrors = true
        }
        defer { server.stop() }
        let logs = MemoryLogHandler()
        let backend = try makeBackend(server, logs: logs)

        let error = await expectFailure(backend, request(for: flavor, image: HostedFixtures.gradient(), checkpoint: nil))

        let failure = try #require(error)
        #expect(!failure.isTransient)
        #expect(failure.description.contains("worker crashed (request authorized with [redacted])"), "\(failure)")
        #expect(!failure.description.contains(server.settings.key))
        for record in logs.records {
            #expect(!record.formattedLine.contains(server.settings.key), "\(record.formattedLine)")
        }
    }

    @Test func droppedSubmitIsNeverResent() async throws {
        let server = try HostedFixtures.startServer(.bfl) { $0.dropSubmitResponse = true }
        defer { server.stop() }
        let backend = try makeBackend(server)
        let checkpoint = MemoryCheckpoint()
        let request = HostedFixtures.request(HostedFixtures.gradient(), checkpoint: checkpoint)

        let first = await expectFailure(backend, request)
        let second = await expectFailure(backend, request)

        #expect(server.submits == 1)
        #expect(checkpoint.load() == ["state": "unknown"])
        for error in [first, second] {
            let failure = try #require(error)
            #expect(!failure.isTransient)
            #expect(failure.description.contains("its outcome is unknown"), "\(failure)")
            #expect(failure.description.contains("Check the provider's dashboard"), "\(failure)")
        }
    }

    @Test func slowSubmitAnswerIsNeverResent() async throws {
        let server = try HostedFixtures.startServer(.runs) { $0.slowSubmitDelay = .milliseconds(100) }
        defer { server.stop() }
        var profile = try HostedFixtures.profile(for: server)
        profile.timeouts.request = 1
        let backend = HostedBackend(
            name: "hosted",
            profile: profile,
            key: try HostedKey(value: server.settings.key),
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )
        let checkpoint = MemoryCheckpoint()

        let error = await expectFailure(backend, HostedFixtures.request(HostedFixtures.gradient(), checkpoint: checkpoint))

        let failure = try #require(error)
        #expect(!failure.isTransient)
        #expect(failure.description.contains("timed out"), "\(failure)")
        #expect(failure.description.contains("its outcome is unknown"), "\(failure)")
        #expect(server.submits == 1)
        #expect(checkpoint.load() == ["state": "unknown"])
    }

    @Test func checkpointResumesWithoutSubmit() async throws {
        let server = try HostedFixtures.startServer(.fal) { $0.pendingPolls = 1_000_000 }
        defer { server.stop() }
        let checkpoint = MemoryCheckpoint()
        let request = HostedFixtures.request(HostedFixtures.gradient(), checkpoint: checkpoint)

        let stalled = await expectFailure(try makeBackend(server, jobTimeout: 1), request)
        #expect(stalled?.isTransient == true, "\(String(describing: stalled))")
        #expect(stalled?.description.contains("stays recorded, so the retry polls it again") == true)
        #expect(checkpoint.load()["state"] == "submitted")

        server.settings.pendingPolls = 0
        let result = try await makeBackend(server).edit(request)

        #expect(server.submits == 1)
        #expect(result.image.width == 96)
    }

    @Test func rateLimitedSubmitHonoursRetryAfter() async throws {
        let server = try HostedFixtures.startServer(.replicate) {
            $0.rateLimitedSubmits = 1
            $0.retryAfter = "1"
        }
        defer { server.stop() }
        let backend = try makeBackend(server)
        let started = ContinuousClock.now

        _ = try await backend.edit(HostedFixtures.request(HostedFixtures.gradient(), checkpoint: MemoryCheckpoint()))

        #expect(server.submitAttempts == 2)
        #expect(server.submits == 1)
        // A lower bound only: the second submit must not come before the server's Retry-After.
        #expect(ContinuousClock.now - started >= .milliseconds(950))
    }

    @Test func rateLimitedDroppedAndSlowPollsAreRetried() async throws {
        let server = try HostedFixtures.startServer(.bfl) {
            $0.rateLimitedPolls = 2
            $0.retryAfter = "0"
            $0.droppedPolls = 2
            $0.slowPollDelay = .milliseconds(2)
        }
        defer { server.stop() }
        let backend = try makeBackend(server)

        let result = try await backend.edit(HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil))

        #expect(result.image.width == 96)
        #expect(server.submits == 1)
        #expect(server.polls >= 5)
    }

    @Test func expiredResultURLFailsPermanently() async throws {
        let server = try HostedFixtures.startServer(.bfl) { $0.resultLifetime = .zero }
        defer { server.stop() }
        let backend = try makeBackend(server)

        let error = await expectFailure(backend, HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil))

        let failure = try #require(error)
        #expect(!failure.isTransient)
        #expect(failure.description.contains("answered HTTP 403, so the result expired before the download"), "\(failure)")
    }

    @Test func wrongKeyIsRejectedWithoutSubmit() async throws {
        let server = try HostedFixtures.startServer(.bfl)
        defer { server.stop() }
        let backend = HostedBackend(
            name: "hosted",
            profile: try HostedFixtures.profile(for: server),
            key: try HostedKey(value: "wrong-key-42"),
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )
        let checkpoint = MemoryCheckpoint()

        let error = await expectFailure(backend, HostedFixtures.request(HostedFixtures.gradient(), checkpoint: checkpoint))

        #expect(error == .permanent("the provider rejected the request with HTTP 403: Not authenticated - Invalid Authentication"))
        #expect(server.submits == 0)
        #expect(checkpoint.load().isEmpty, "a rejected submit leaves nothing to resume")
    }

    @Test(arguments: [
        (FakeHosted.Flavor.bfl, "aspect_ratio", JSONValue.string("8:5")),
        (.fal, "aspect_ratio", .string("3:2")),
        (.replicate, "aspect_ratio", .string("3:2")),
        (.runs, "width", .integer(1264)),
        (.runs, "height", .integer(784)),
    ])
    func photoIsScaledAndSizeMapped(flavor: FakeHosted.Flavor, field: String, expected: JSONValue) async throws {
        let server = try HostedFixtures.startServer(flavor) { $0.pendingPolls = 0 }
        defer { server.stop() }
        let photo = try ImageDecoder.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: HostedFixtures.photos + "/kite.jpg")))).image

        _ = try await makeBackend(server).edit(HostedFixtures.request(photo.converted(to: .rgb), checkpoint: nil))

        let received = try #require(server.receivedImages.first)
        #expect(received.width * received.height <= 1_000_000)
        #expect(abs(Double(received.width) / Double(received.height) - 1.6) < 0.01)
        let body = try #require(server.submitBodies.first)
        let input = flavor == .replicate ? body["input"] : body
        #expect(input?[field] == expected)
    }

    @Test func fillSendsMaskAndAdvertisesMaskedFill() async throws {
        let server = try HostedFixtures.startServer(.bflFill)
        defer { server.stop() }
        let backend = try makeBackend(server)
        let image = HostedFixtures.gradient()

        _ = try await backend.edit(HostedFixtures.request(image, checkpoint: nil, mask: fillMask(for: image), prompt: nil))

        #expect(backend.capabilities.contains(.maskedFill))
        let body = try #require(server.submitBodies.first)
        #expect(body["steps"] == .integer(28))
        #expect(body["output_format"] == .string("png"))
        #expect(body["prompt"] == nil)
    }

    @Test func busySlotsFailTheWaitingEditAsTransient() async throws {
        // Each poll of the first run returns "pending", so that run keeps the only slot for seconds.
        let server = try HostedFixtures.startServer(.runs) { $0.pendingPolls = 1000 }
        defer { server.stop() }
        let backend = try singleSlotBackend(server, submitWait: 0.5)
        let first = Task { _ = try? await backend.edit(HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil)) }
        defer { first.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while server.submits == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(server.submits == 1)

        let error = await expectFailure(backend, HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil))

        #expect(error?.isTransient == true)
        #expect(error?.description.contains("raise max_in_flight") == true, "\(String(describing: error))")
        #expect(server.submits == 1)
    }

    @Test func runSlotsCapRunsInFlight() async throws {
        let server = try HostedFixtures.startServer(.runs) { $0.pendingPolls = 4 }
        defer { server.stop() }
        // The third edit waits for two whole runs; on a loaded 2-core CI machine that took over 10 s.
        let backend = try singleSlotBackend(server, submitWait: 120)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { _ = try await backend.edit(HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil)) }
            }
            try await group.waitForAll()
        }

        #expect(server.submits == 3)
        #expect(server.maxActiveRuns == 1)
    }

    @Test func httpsURLGoesThroughProxy() async throws {
        let server = try HostedFixtures.startServer(.bfl)
        defer { server.stop() }
        let seen = Mutex<[(target: String, host: String?)]>([])
        // A forward proxy in miniature: it takes the absolute https URL and fetches it from the fake over HTTP.
        let proxy = LoopbackHTTPServer { request in
            seen.withLock { $0.append((request.path, request.headers["Host"])) }
            let path = String(request.path.dropFirst("https://api.bfl.test".count))
            var headers = request.headers
            headers.fields.removeAll { $0.name.lowercased() == "host" || $0.name.lowercased() == "connection" }
            let forwarded = HTTPClientRequest(method: request.method, target: path, headers: headers, body: request.body)
            guard let response = try? HTTPClient.sendBlocking(forwarded, to: HTTPEndpoint(host: "127.0.0.1", port: server.apiPort), timeout: .seconds(5)) else {
                return .dropConnection
            }
            return .response(response)
        }
        try proxy.start()
        defer { proxy.stop() }
        var profile = try HostedFixtures.profile(for: server)
        profile.baseURL = try HostedURL(parsing: "https://api.bfl.test")
        profile.httpsProxy = try HostedURL(parsing: "http://127.0.0.1:\(proxy.port)")
        let backend = HostedBackend(
            name: "hosted",
            profile: profile,
            key: try HostedKey(value: server.settings.key),
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )

        _ = try await backend.edit(HostedFixtures.request(HostedFixtures.gradient(), checkpoint: nil))

        let requests = seen.withLock { $0 }
        #expect(requests.count == 1)
        #expect(requests.first?.target == "https://api.bfl.test/v1/flux-kontext-pro")
        #expect(requests.first?.host == "api.bfl.test")
        #expect(server.submits == 1)
    }
}
