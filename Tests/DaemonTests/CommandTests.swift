import Foundation
import Imaging
import Testing

/// The one-shot commands: edit, check, status, and usage errors.
struct CommandTests {
    static let kiteExample = DaemonHarness.repositoryRoot + "/examples/remove-kite"

    private func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "kontextd-cmd-" + UUID().uuidString.prefix(8).lowercased() + "-" + name
    }

    @Test func editRunsExampleSidecar() async throws {
        let output = temporaryPath("kite.png")
        defer { try? FileManager.default.removeItem(atPath: output) }

        let result = try DaemonHarness.runCommand([
            "edit", DaemonHarness.photos + "/kite.jpg", "--sidecar", Self.kiteExample + "/kite.yaml", "-o", output,
        ])

        #expect(result.status == 0, "\(result.stderr)")
        let image = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))))
        #expect(image.format == .png)
        #expect(image.image.width == 2560)
    }

    @Test func editSizeFlagResizes() async throws {
        let output = temporaryPath("cups.jpg")
        defer { try? FileManager.default.removeItem(atPath: output) }

        let result = try DaemonHarness.runCommand(["edit", DaemonHarness.photos + "/colorfulcups.jpg", "--size", "kontext", "-o", output])

        #expect(result.status == 0, "\(result.stderr)")
        let image = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))).image
        #expect(image.width == 1328)
        #expect(image.height == 800)
    }

    @Test func editPromptOnFillFails() async throws {
        let output = temporaryPath("x.jpg")
        let result = try DaemonHarness.runCommand([
            "edit", DaemonHarness.photos + "/kite.jpg", "--prompt", "make it night", "-o", output,
        ])

        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot follow a prompt"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func editRefusesToReplaceOutput() async throws {
        let output = temporaryPath("exists.jpg")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        defer { try? FileManager.default.removeItem(atPath: output) }

        let result = try DaemonHarness.runCommand(["edit", DaemonHarness.photos + "/kite.jpg", "-o", output])

        #expect(result.status == 1)
        #expect(result.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
    }

    @Test func editWithoutOutputIsUsageError() async throws {
        let result = try DaemonHarness.runCommand(["edit", DaemonHarness.photos + "/kite.jpg"])

        #expect(result.status == 64)
        #expect(result.stderr == "kontextd edit: missing -o OUTPUT; see 'kontextd help edit'\n")
    }

    @Test func unknownCommandIsUsageError() async throws {
        let result = try DaemonHarness.runCommand(["frobnicate"])

        #expect(result.status == 64)
        #expect(result.stderr == "kontextd: unknown command 'frobnicate'; see 'kontextd help'\n")
    }

    @Test func checkReportsRecipeProblemWithPosition() async throws {
        let daemon = try DaemonHarness()
        try daemon.drop(text: "steps: 500\n", as: "kontextd.recipe.yaml", folder: "team")

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(result.status == 1)
        #expect(result.stdout.contains(daemon.inbox + "/team/kontextd.recipe.yaml:1:8: error:"))
    }

    @Test func checkAcceptsValidTree() async throws {
        let daemon = try DaemonHarness()
        try daemon.drop(text: "size: kontext\n", as: "kontextd.recipe.yaml", folder: "team")

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// A file given on the command line is checked as the daemon would read it: against the
    /// configured backends and, inside an inbox, for paths that leave it.
    @Test func checkFileUsesTheConfiguration() async throws {
        let daemon = try DaemonHarness()
        try daemon.drop(text: "backend: nosuch\nmask: ../../etc/shadow\n", as: "side.yaml", folder: "team")
        let sidecar = daemon.inbox + "/team/side.yaml"

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath, sidecar])

        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains(sidecar + ":1:10: error:"), "\(result.stdout)")
        #expect(result.stdout.contains("'nosuch'"), "\(result.stdout)")
        #expect(result.stdout.contains(sidecar + ":2:7: error:"), "\(result.stdout)")
    }

    @Test func checkFileWithoutConfigurationWarns() async throws {
        let daemon = try DaemonHarness()
        try daemon.drop(text: "backend: nosuch\n", as: "side.yaml")

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.root + "/missing.yaml", daemon.inbox + "/side.yaml"])

        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("backend names and paths outside the inbox are not checked; pass --config"), "\(result.stdout)")
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/etc/kontextd/kontextd.yaml")), arguments: [["status"], ["retry", "--all"]])
    func commandWithoutConfigurationNamesTheOption(arguments: [String]) throws {
        let result = try DaemonHarness.runCommand(arguments)

        #expect(result.status == 1)
        #expect(result.stderr.hasSuffix("cannot read '/etc/kontextd/kontextd.yaml': no such file; pass --config with the daemon's configuration file\n"), "\(result.stderr)")
    }

    @Test func statusReportsFinishedJobs() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(photo: "path.jpg", as: "forest.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/forest.job.json")
        })
        #expect(await DaemonHarness.waitUntil(timeout: 10) {
            let status = try? DaemonHarness.runCommand(["status", "--config", daemon.configPath, "--json"])
            return status?.stdout.contains("\"succeeded\" : 1") ?? false
        })
        let text = try DaemonHarness.runCommand(["status", "--config", daemon.configPath])
        await daemon.stop()
        let afterStop = try DaemonHarness.runCommand(["status", "--config", daemon.configPath])

        #expect(text.status == 0)
        #expect(text.stdout.contains("succeeded 1"))
        #expect(text.stdout.contains("watch test " + daemon.inbox))
        #expect(afterStop.status == 3)
        #expect(afterStop.stderr.hasPrefix("kontextd status: the daemon is not running;"), "\(afterStop.stderr)")
    }

    @Test func checkRejectsOutboxLinkedIntoInbox() async throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.inbox + "/out", withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: daemon.outbox)
        try FileManager.default.createSymbolicLink(atPath: daemon.outbox, withDestinationPath: daemon.inbox + "/out")

        let check = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])
        let run = try DaemonHarness.runCommand(["run", "--config", daemon.configPath])

        #expect(check.status == 1)
        #expect(check.stdout.contains("the outbox folder '\(daemon.inbox)/out' is inside the inbox"), "\(check.stdout)")
        #expect(run.status == 78)
        #expect(run.stderr.contains("is inside the inbox"), "\(run.stderr)")
    }
}
