@testable import Backends
import Foundation
import Testing

/// Profile parsing, URLs, sizes and keys of the hosted backend, without a server.
@Suite struct HostedProfileTests {
    @Test(arguments: ["bfl-kontext-pro", "bfl-kontext-max", "bfl-fill", "replicate-kontext-pro", "fal-kontext-pro", "runs-generic"])
    func shippedProfileLoads(name: String) throws {
        let profile = try HostedFixtures.loadProfile(name)

        #expect(profile.name == name)
        #expect(!profile.succeededWords.isEmpty)
        #expect(!profile.imagePaths.isEmpty)
        #expect(profile.pollURLPath != nil || profile.pollPathTemplate != nil)
    }

    @Test func kontextMaxHasLowerRunCap() throws {
        #expect(try HostedFixtures.loadProfile("bfl-kontext-max").limits.maxInFlight == 6)
        #expect(try HostedFixtures.loadProfile("bfl-kontext-pro").limits.maxInFlight == 24)
    }

    @Test(arguments: [
        (
            #"{"name": "x", "auth": {"header": "k"}, "submit": {"path": "/s"}, "response": {"id": "id"}}"#,
            "hosted profile 'x' has no 'base_url'; add it, for example 'base_url: https://api.bfl.ai'"
        ),
        (#"{"name": "x"}"#, "hosted profile 'x' has no 'auth'; add it, for example 'auth: {...}'"),
        (
            #"{"name": "x", "base_url": "http://h", "auth": {"header": "k"}, "submit": {"path": "/s"}, "response": {"id": "id"}}"#,
            "hosted profile 'x' has no 'response.poll_url'; add it, for example 'poll_url: polling_url, or poll_path: /v1/runs/{id}'"
        ),
        (
            #"{"name": "x", "base_url": "http://h", "auth": {"header": "k"}, "submit": {"path": "/s", "image": "url"}, "response": {"id": "id"}}"#,
            "hosted profile 'x' has invalid value 'url' for 'submit.image': expected one of base64, data_uri, upload"
        ),
        (
            #"{"name": "x", "base_url": "http://h", "auth": {"header": "k"}, "submit": {"path": "/s", "fields": {"promt": "p"}}, "response": {"id": "id"}}"#,
            "hosted profile 'x' has unknown key 'submit.fields.promt'; allowed keys are prompt, image, mask, seed, steps, guidance, aspect_ratio, width, height"
        ),
        (
            #"{"name": "x", "base_url": "ftp://h", "auth": {"header": "k"}, "submit": {"path": "/s"}, "response": {"id": "id"}}"#,
            "invalid URL 'ftp://h': the scheme must be http or https"
        ),
        (#"{"name": "x", "colour": 1}"#, "hosted profile 'test' has unknown key 'profile.colour'; allowed keys are name, base_url, auth, submit, response, status, result, limits, poll, timeouts"),
    ])
    func invalidProfileIsRejected(json: String, message: String) throws {
        let value = try #require(JSONValue.parse(Array(json.utf8)))

        #expect(throws: HostedConfigurationError.self) { try HostedProfile(json: value, source: "test") }
        do {
            _ = try HostedProfile(json: value, source: "test")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/v1/get_result?id=7", "127.0.0.1", 8080, "/v1/get_result?id=7"),
        ("http://localhost", "localhost", 80, "/"),
        ("https://api.eu2.bfl.ai/v1/x", "api.eu2.bfl.ai", 443, "/v1/x"),
        ("http://[::1]:9000?q=1", "::1", 9000, "/?q=1"),
    ])
    func urlIsParsed(text: String, host: String, port: Int, target: String) throws {
        let url = try HostedURL(parsing: text)

        #expect(url.endpoint == HTTPEndpoint(host: host, port: port))
        #expect(url.target == target)
    }

    @Test func urlResolvesPathsAgainstPrefix() throws {
        let base = try HostedURL(parsing: "http://127.0.0.1:8443/bfl")

        #expect(try base.appending(path: "/v1/flux-kontext-pro").description == "http://127.0.0.1:8443/bfl/v1/flux-kontext-pro")
        #expect(try base.resolving("http://localhost:9/r?sig=s").redactedDescription == "http://localhost:9/r")
        #expect(throws: HostedConfigurationError.invalidURL("http://h:x", reason: "invalid port 'x'")) { try HostedURL(parsing: "http://h:x") }
    }

    @Test(arguments: [
        (2560, 1600, 1.0, 2048, 1264, 790),
        (800, 600, 1.0, 2048, 800, 600),
        (4000, 1000, 20.0, 2048, 2048, 512),
    ])
    func inputIsScaledDownOnly(width: Int, height: Int, megapixels: Double, maxSide: Int, expectedWidth: Int, expectedHeight: Int) {
        var limits = HostedLimits()
        limits.maxMegapixels = megapixels
        limits.maxSide = maxSide

        let size = HostedSizing.inputSize(width: width, height: height, limits: limits)

        #expect(size.width == expectedWidth)
        #expect(size.height == expectedHeight)
    }

    @Test(arguments: [
        (2560, 1600, "8:5"),
        (1000, 1000, "1:1"),
        (1920, 1080, "16:9"),
        (3000, 500, "7:3"),
        (500, 3000, "3:7"),
        (1023, 767, "4:3"),
    ])
    func freeAspectRatioIsSmallAndClamped(width: Int, height: Int, expected: String) {
        #expect(HostedSizing.aspectRatioField(width: width, height: height, limits: HostedLimits()) == expected)
    }

    @Test func listedAspectRatioIsClosest() {
        var limits = HostedLimits()
        limits.aspectRatios = ["16:9", "1:1", "9:16"]

        #expect(HostedSizing.aspectRatioField(width: 1700, height: 1000, limits: limits) == "16:9")
        #expect(HostedSizing.aspectRatioField(width: 1000, height: 1100, limits: limits) == "1:1")
    }

    @Test func keyIsRedactedAndNeverPrinted() throws {
        let key = try HostedKey(value: "sk-live-123\n")

        #expect("\(key)" == "[redacted]")
        #expect(key.redact("bad key sk-live-123 for sk-live-123") == "bad key [redacted] for [redacted]")
    }

    @Test func keyFileErrorsNamePathNotContents() throws {
        let folder = NSTemporaryDirectory() + "hosted-key-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "\n".write(toFile: folder + "/empty", atomically: true, encoding: .utf8)
        try "one\ntwo\n".write(toFile: folder + "/two", atomically: true, encoding: .utf8)

        #expect(throws: HostedConfigurationError.key("the API key is empty; write the key on the first line of the key file")) {
            try HostedKey.read(path: folder + "/empty")
        }
        #expect(throws: HostedConfigurationError.key("the API key file has more than one line; keep only the key")) {
            try HostedKey.read(path: folder + "/two")
        }
        #expect(
            throws: HostedConfigurationError.key(
                "cannot read the API key file '\(folder)/none'; check that it exists and that the daemon's user may read it"
            )
        ) { try HostedKey.read(path: folder + "/none") }
        #expect(try HostedKey.credentialPath(name: "bfl", environment: ["CREDENTIALS_DIRECTORY": "/run/credentials/kontextd.service"])
            == "/run/credentials/kontextd.service/bfl")
    }

    @Test(arguments: [
        ("result.sample", #"{"result": {"sample": "u"}}"#, "u"),
        ("output", #"{"output": ["a", "b"]}"#, "a"),
        ("output[0]", #"{"output": "a"}"#, "a"),
        ("output[1]", #"{"output": ["a", "b"]}"#, "b"),
        ("images[*].url", #"{"images": [{"x": 1}, {"url": "b"}]}"#, "b"),
        ("$.id", #"{"id": "7"}"#, "7"),
        ("result.sample", #"{"result": null}"#, nil),
        ("output[2]", #"{"output": ["a"]}"#, nil),
    ] as [(String, String, String?)])
    func jsonPathFindsString(path: String, json: String, expected: String?) throws {
        let root = try #require(JSONValue.parse(Array(json.utf8)))

        #expect(HostedJSONPath.string(at: path, in: root) == expected)
    }

    @Test func errorMessageJoinsValidationDetails() throws {
        let root = try #require(JSONValue.parse(Array(#"{"detail": [{"msg": "prompt is required"}, {"msg": "seed too large"}]}"#.utf8)))

        #expect(HostedJSONPath.message(at: ["error", "detail"], in: root) == "prompt is required; seed too large")
    }
}
