import FakeServers
import Foundation
import Imaging
import Testing

/// The daemon with a `comfyui` backend, against the fake ComfyUI server on loopback.
@Suite(.serialized)
struct ComfyUIDaemonTests {
    private func makeServer() throws -> FakeComfyUI {
        var settings = FakeComfyUI.Settings()
        settings.processingTime = .milliseconds(100)
        settings.decodeUpload = { bytes in try ImageDecoder.decode(bytes).image }
        settings.encodeOutput = { image in (try? ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 1))) ?? [] }
        let server = FakeComfyUI(settings: settings)
        try server.start()
        return server
    }

    private func configuration(port: Int, noServer: Int = 30) -> String {
        """
        backends:
          - name: gpu
            type: comfyui
            servers:
              - 127.0.0.1:\(port)
            timeouts:
              request: 5
              job: 30
              no_server: \(noServer)
        default_backend: gpu
        """
    }

    private func decode(_ path: String) throws -> Image {
        try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).image.converted(to: .rgb)
    }

    private func meanLevel(_ image: Image, x: Range<Int>, y: Range<Int>) -> Double {
        var total = 0
        for row in y {
            for column in x {
                let index = (row * image.width + column) * 3
                total += Int(image.pixels[index]) + Int(image.pixels[index + 1]) + Int(image.pixels[index + 2])
            }
        }
        return Double(total) / Double(x.count * y.count * 3)
    }

    @Test func promptEditRunsOnComfyUIServer() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let daemon = try DaemonHarness(extraConfiguration: configuration(port: server.port))
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\nseed: 7\noutput:\n  format: png\n", as: "cups.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "cups.jpg")

        let logPath = daemon.outbox + "/cups.job.json"
        #expect(await DaemonHarness.waitUntil(timeout: 90) { FileManager.default.fileExists(atPath: logPath) }, "\(daemon.log)")
        await daemon.stop()

        let log = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: logPath))) as? [String: Any])
        #expect(log["outcome"] as? String == "succeeded")
        #expect(log["backend"] as? String == "gpu")
        #expect((log["server"] as? String)?.contains("127.0.0.1:\(server.port)") == true)
        // The fake inverts what it receives, so the result's brightness mirrors the input's.
        let original = try decode(DaemonHarness.photos + "/colorfulcups.jpg")
        let result = try decode(daemon.outbox + "/cups-edited.png")
        #expect(result.width == original.width && result.height == original.height)
        let before = meanLevel(original, x: 1000..<1500, y: 600..<1000)
        let after = meanLevel(result, x: 1000..<1500, y: 600..<1000)
        #expect(abs((255 - before) - after) < 4, "before \(before), after \(after)")
    }

    @Test func maskedPromptEditStitchesCropBack() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let daemon = try DaemonHarness(extraConfiguration: configuration(port: server.port))
        try await daemon.start()
        try daemon.drop(text: "prompt: a red balloon\nmask:\n  - rect: [1000, 600, 300, 200]\noutput:\n  format: png\n", as: "sky.yaml")
        try daemon.drop(photo: "kite.jpg", as: "sky.jpg")

        let output = daemon.outbox + "/sky-edited.png"
        #expect(await DaemonHarness.waitUntil(timeout: 90) { FileManager.default.fileExists(atPath: output) }, "\(daemon.log)")
        await daemon.stop()

        let original = try decode(DaemonHarness.photos + "/kite.jpg")
        let result = try decode(output)
        #expect(meanLevel(result, x: 0..<400, y: 0..<300) == meanLevel(original, x: 0..<400, y: 0..<300))
        let inside = (x: 1050..<1250, y: 650..<750)
        #expect(abs((255 - meanLevel(original, x: inside.x, y: inside.y)) - meanLevel(result, x: inside.x, y: inside.y)) < 6)
    }

    @Test func unreachableServerKeepsJobForRetry() async throws {
        let server = try makeServer()
        let port = server.port
        server.stop()
        let daemon = try DaemonHarness(extraConfiguration: configuration(port: port, noServer: 2) + "\nretry:\n  attempts: 3\n  initial_delay: 30\n")
        try await daemon.start()
        try daemon.drop(text: "prompt: make it night\n", as: "late.yaml")
        try daemon.drop(photo: "path.jpg", as: "late.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 90) { daemon.log.contains("Job retry scheduled") }, "\(daemon.log)")
        await daemon.stop()

        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
        #expect(DaemonHarness.files(under: daemon.outbox).isEmpty)
        let claims = DaemonHarness.files(under: daemon.state + "/processing")
        #expect(claims.contains { $0.hasSuffix("/late.jpg") }, "\(claims)")
    }

    @Test func checkReportsWorkflowBindingErrors() async throws {
        let daemon = try DaemonHarness()
        let workflow = daemon.root + "/workflow.json"
        try #"{"1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}, "9": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "k"}}}"#
            .write(toFile: workflow, atomically: true, encoding: .utf8)
        let backends = """
            backends:
              - name: mine
                type: comfyui
                servers: [127.0.0.1:8188]
                workflow: \(workflow)
                bindings:
                  image: "1.image"
                  prompt: "6.text"
                  output: "9"
            """
        let configuration = try String(contentsOfFile: daemon.configPath, encoding: .utf8) + "\n" + backends + "\n"
        try configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)

        let result = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(result.status == 1)
        #expect(
            result.stdout.contains(":15:5: error: backend 'mine': binding 'prompt' names node '6', which the workflow does not contain"),
            "\(result.stdout)"
        )
    }
}
