import FakeServers
import Foundation
import Imaging
import Testing

/// The daemon with a `hosted` backend, using the shipped profiles, against fake providers on loopback.
@Suite(.serialized)
struct HostedDaemonTests {
    private static let secret = "sk-e2e-7f3a9c1d-secret"
    private static let providers = DaemonHarness.repositoryRoot + "/etc/kontextd/providers"

    private func startServer(_ flavor: FakeHosted.Flavor, configure: (inout FakeHosted.Settings) -> Void = { _ in }) throws -> FakeHosted {
        var settings = FakeHosted.Settings()
        settings.key = Self.secret
        settings.pendingPolls = 1
        configure(&settings)
        let server = FakeHosted(flavor: flavor, settings: settings)
        try server.start()
        return server
    }

    private func profileName(_ flavor: FakeHosted.Flavor) -> String {
        switch flavor {
        case .bfl: "bfl-kontext-pro"
        case .bflFill: "bfl-fill"
        case .replicate: "replicate-kontext-pro"
        case .fal: "fal-kontext-pro"
        case .runs: "runs-generic"
        }
    }

    /// A harness whose configuration names the shipped profile by path and the key by file.
    private func makeDaemon(_ server: FakeHosted, extra: String = "") throws -> DaemonHarness {
        let keyFolder = NSTemporaryDirectory() + "kontextd-key-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: keyFolder, withIntermediateDirectories: true)
        try (Self.secret + "\n").write(toFile: keyFolder + "/provider.key", atomically: true, encoding: .utf8)
        let backends = """
            backends:
              - name: cloud
                type: hosted
                profile: \(Self.providers)/\(profileName(server.flavor)).yaml
                base_url: \(server.baseURL)
                key_file: \(keyFolder)/provider.key
                timeouts:
                  request: 5
                  job: 120
            default_backend: cloud
            \(extra)
            """
        return try DaemonHarness(extraConfiguration: backends)
    }

    private func jobLog(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// Every file under the harness's folders that contains `text`, plus "daemon log" when its output does.
    private func filesContaining(_ text: String, daemon: DaemonHarness) -> [String] {
        var found: [String] = []
        for folder in [daemon.outbox, daemon.failed, daemon.state, daemon.inbox] {
            for file in DaemonHarness.files(under: folder) {
                let data = FileManager.default.contents(atPath: folder + "/" + file) ?? Data()
                if data.range(of: Data(text.utf8)) != nil { found.append(folder + "/" + file) }
            }
        }
        if daemon.log.contains(text) { found.append("daemon log") }
        return found
    }

    @Test(arguments: [FakeHosted.Flavor.bfl, .replicate, .fal, .runs])
    func shippedProfileEditsPhoto(flavor: FakeHosted.Flavor) async throws {
        let server = try startServer(flavor)
        defer { server.stop() }
        let daemon = try makeDaemon(server)
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\noutput:\n  format: png\n", as: "cups.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "cups.jpg")

        let logPath = daemon.outbox + "/cups.job.json"
        #expect(await DaemonHarness.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: logPath) }, "\(daemon.log)")
        await daemon.stop()

        let log = try jobLog(logPath)
        #expect(log["outcome"] as? String == "succeeded", "\(log)")
        #expect(log["backend"] as? String == "cloud")
        #expect((log["server"] as? String)?.hasPrefix(profileName(flavor)) == true, "\(log)")
        #expect(server.submits == 1)
        #expect(FileManager.default.fileExists(atPath: daemon.outbox + "/cups-edited.png"))
    }

    @Test func fillProfileEditsMaskedRegion() async throws {
        let server = try startServer(.bflFill)
        defer { server.stop() }
        let daemon = try makeDaemon(server)
        try await daemon.start()
        try daemon.drop(text: "prompt: a red balloon\nmask:\n  - rect: [1000, 600, 300, 200]\noutput:\n  format: png\n", as: "sky.yaml")
        try daemon.drop(photo: "kite.jpg", as: "sky.jpg")

        let output = daemon.outbox + "/sky-edited.png"
        #expect(await DaemonHarness.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: output) }, "\(daemon.log)")
        await daemon.stop()

        // The fake returns 422 unless the submit carries a mask of the image's size.
        #expect(server.submits == 1)
    }

    @Test func killedDaemonResumesRunWithoutSecondSubmit() async throws {
        let server = try startServer(.bfl) { $0.pendingPolls = 1_000_000 }
        defer { server.stop() }
        let daemon = try makeDaemon(server)
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\noutput:\n  format: png\n", as: "late.yaml")
        try daemon.drop(photo: "path.jpg", as: "late.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) { server.polls >= 2 }, "\(daemon.log)")
        let checkpoints = DaemonHarness.files(under: daemon.state).filter { $0.contains(".backend-pass") }
        #expect(checkpoints.count == 1, "\(DaemonHarness.files(under: daemon.state))")
        daemon.kill9()

        server.settings.pendingPolls = 0
        try await daemon.start()
        let logPath = daemon.outbox + "/late.job.json"
        #expect(await DaemonHarness.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: logPath) }, "\(daemon.log)")
        await daemon.stop()

        #expect(server.submits == 1)
        #expect(server.submitAttempts == 1)
        #expect(try jobLog(logPath)["outcome"] as? String == "succeeded")
        #expect(daemon.log.contains("Hosted run resumed from its checkpoint; not submitting again"), "\(daemon.log)")
    }

    @Test func droppedSubmitFailsJobWithoutResubmit() async throws {
        let server = try startServer(.fal) { $0.dropSubmitResponse = true }
        defer { server.stop() }
        let daemon = try makeDaemon(server, extra: "retry:\n  attempts: 3\n  initial_delay: 1\n")
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\n", as: "lost.yaml")
        try daemon.drop(photo: "path.jpg", as: "lost.jpg")

        #expect(
            await DaemonHarness.waitUntil(timeout: 60) { DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("lost.jpg.error.txt") } },
            "\(daemon.log)"
        )
        await daemon.stop()

        #expect(server.submits == 1)
        let reportName = try #require(DaemonHarness.files(under: daemon.failed).first { $0.hasSuffix("lost.jpg.error.txt") })
        let report = try String(contentsOfFile: daemon.failed + "/" + reportName, encoding: .utf8)
        #expect(report.contains("outcome is unknown"), "\(report)")
        #expect(report.contains("Check the provider's dashboard"), "\(report)")
    }

    @Test func secretAppearsInNoOutput() async throws {
        let server = try startServer(.replicate)
        defer { server.stop() }
        let daemon = try makeDaemon(server)
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\noutput:\n  format: png\n", as: "good.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "good.jpg")
        #expect(
            await DaemonHarness.waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: daemon.outbox + "/good.job.json") },
            "\(daemon.log)"
        )
        server.settings.outcome = .fail("worker crashed")
        server.settings.echoKeyInErrors = true
        try daemon.drop(text: "prompt: make it night\n", as: "bad.yaml")
        try daemon.drop(photo: "path.jpg", as: "bad.jpg")
        #expect(
            await DaemonHarness.waitUntil(timeout: 60) { DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("bad.jpg.error.txt") } },
            "\(daemon.log)"
        )
        let status = try DaemonHarness.runCommand(["status", "--config", daemon.configPath])
        let check = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])
        await daemon.stop()

        // The server did receive the key, and echoed it into the failure, so redaction had work to do.
        #expect(server.authValues.contains("Bearer " + Self.secret))
        let reportName = try #require(DaemonHarness.files(under: daemon.failed).first { $0.hasSuffix("bad.jpg.error.txt") })
        let report = try String(contentsOfFile: daemon.failed + "/" + reportName, encoding: .utf8)
        #expect(report.contains("worker crashed (request authorized with [redacted])"), "\(report)")
        #expect(filesContaining(Self.secret, daemon: daemon) == [])
        for output in [status.stdout, status.stderr, check.stdout, check.stderr] {
            #expect(!output.contains(Self.secret))
        }
    }

    @Test func checkAcceptsHTTPSWithoutProxy() async throws {
        let daemon = try DaemonHarness()
        let keyPath = daemon.root + "/bfl.key"
        try "k\n".write(toFile: keyPath, atomically: true, encoding: .utf8)
        let backends = """
            backends:
              - name: cloud
                type: hosted
                profile: \(Self.providers)/bfl-kontext-pro.yaml
                key_file: \(keyPath)
            """
        let configuration = try String(contentsOfFile: daemon.configPath, encoding: .utf8) + "\n" + backends + "\n"
        try configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(result.status == 0, "\(result.stdout)")
        #expect(!result.stdout.contains("backend 'cloud'"), "\(result.stdout)")
    }

    @Test func checkReportsHostedEntryErrors() async throws {
        let daemon = try DaemonHarness()
        let backends = """
            backends:
              - name: one
                type: hosted
                base_url: ftp://example
              - name: two
                type: hosted
                profile: bfl-kontext-pro
                key_file: relative.key
                credential: bfl-key
                ca_file: relative.pem
                max_inflight: 2
            """
        let configuration = try String(contentsOfFile: daemon.configPath, encoding: .utf8) + "\n" + backends + "\n"
        try configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(result.status == 1)
        for expected in [
            "error: 'backends[1]' has no 'profile'; name a provider profile such as 'bfl-kontext-pro'",
            "error: 'backends[1].base_url' is 'ftp://example'; write a URL starting with http:// or https://",
            "error: 'backends[1]' has neither 'key_file' nor 'credential'; say where the API key is",
            "error: 'backends[2].key_file' is 'relative.key', which is not an absolute path; write it starting with '/'",
            "error: 'backends[2]' sets both 'key_file' and 'credential'; keep one",
            "error: 'backends[2].ca_file' is 'relative.pem', which is not an absolute path; write it starting with '/'",
            "max_inflight",
        ] {
            #expect(result.stdout.contains(expected), "\(expected) not in \(result.stdout)")
        }
    }
}
