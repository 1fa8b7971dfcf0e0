import DaemonSupport
import Foundation
import Imaging
import Testing

/// The real daemon on real folders: jobs dropped as users drop them, results checked on disk.
@Suite(.serialized)
struct EndToEndTests {
    static let kiteExample = DaemonHarness.repositoryRoot + "/examples/remove-kite"

    private func jobLog(at path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func decode(_ path: String) throws -> Image {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return try ImageDecoder.decode(bytes).image
    }

    @Test func maskedRemovalDeliversResultLogAndOriginal() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let sidecar = """
            mask: kite.mask.png
            backend: fill
            inpaint:
              blend: 16
            output:
              format: png
            """
        try daemon.drop(data: Data(contentsOf: URL(fileURLWithPath: Self.kiteExample + "/kite.mask.png")), as: "kite.mask.png")
        try daemon.drop(text: sidecar, as: "kite.yaml")
        try daemon.drop(photo: "kite.jpg", as: "kite.jpg")

        let output = daemon.outbox + "/kite-edited.png"
        let logPath = daemon.outbox + "/kite.job.json"
        #expect(await DaemonHarness.waitUntil(timeout: 120) { FileManager.default.fileExists(atPath: logPath) }, "\(daemon.log)")
        #expect(await daemon.stop() == 0)

        let log = try jobLog(at: logPath)
        #expect(log["outcome"] as? String == "succeeded")
        #expect(log["backend"] as? String == "fill")
        let inputs = try #require(log["inputs"] as? [[String: Any]])
        let photoDigest = try SHA256.hexDigestOfFile(atPath: DaemonHarness.photos + "/kite.jpg")
        let photoEntry = inputs.first { $0["name"] as? String == "kite.jpg" }
        #expect(photoEntry != nil)
        #expect(photoEntry?["sha256"] as? String == photoDigest)
        #expect(inputs.count == 3)
        let outputs = try #require(log["outputs"] as? [[String: Any]])
        #expect(outputs.first?["sha256"] as? String == (try SHA256.hexDigestOfFile(atPath: output)))
        let timings = try #require(log["timings"] as? [[String: Any]])
        #expect(timings.contains { $0["stage"] as? String == "backend" })

        // Outside the mask's neighbourhood the result is the decoded input, byte for byte.
        let original = try decode(DaemonHarness.photos + "/kite.jpg")
        let result = try decode(output)
        #expect(result.width == original.width)
        #expect(result.height == original.height)
        let kite = (x: 1639..<1838, y: 486..<667)
        var changedOutside = 0
        var changedInside = 0
        for y in stride(from: 0, to: original.height, by: 3) {
            for x in stride(from: 0, to: original.width, by: 3) {
                let index = (y * original.width + x) * 3
                let same = original.pixels[index..<index + 3].elementsEqual(result.pixels[index..<index + 3])
                let nearKite = (kite.x.lowerBound - 80..<kite.x.upperBound + 80).contains(x)
                    && (kite.y.lowerBound - 80..<kite.y.upperBound + 80).contains(y)
                if !nearKite && !same { changedOutside += 1 }
                if kite.x.contains(x) && kite.y.contains(y) && !same { changedInside += 1 }
            }
        }
        #expect(changedOutside == 0)
        #expect(changedInside > 1000)

        // The original and its companions are kept beside the results; the inbox and claims are empty.
        let keptOriginals = DaemonHarness.files(under: daemon.outbox + "/originals")
        #expect(keptOriginals.filter { $0.hasSuffix("/kite.jpg") }.count == 1)
        #expect(keptOriginals.count == 3)
        #expect(DaemonHarness.files(under: daemon.inbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }

    @Test func folderRecipeAppliesToSubfolderJobs() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(text: "size:\n  long_edge: 800\noutput:\n  format: png\n", as: "kontextd.recipe.yaml", folder: "web")
        try daemon.drop(text: "output:\n  format: webp\n", as: "kontextd.recipe.yaml", folder: "web/thumbs")
        try daemon.drop(photo: "path.jpg", as: "path.jpg", folder: "web")
        try daemon.drop(photo: "autumn.jpg", as: "autumn.jpg", folder: "web/thumbs")

        let png = daemon.outbox + "/web/path-edited.png"
        let webp = daemon.outbox + "/web/thumbs/autumn-edited.webp"
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: png) && FileManager.default.fileExists(atPath: webp)
        }, "\(daemon.log)")
        await daemon.stop()

        let resized = try decode(png)
        #expect(resized.width == 800)
        #expect(resized.height == 500)
        let thumbnail = try decode(webp)
        #expect(thumbnail.width == 800)
        let log = try jobLog(at: daemon.outbox + "/web/thumbs/autumn.job.json")
        #expect((log["recipeFiles"] as? [String])?.count == 2)
    }

    @Test func truncatedImageFailsAlongsideGoodOnes() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let photo = try Data(contentsOf: URL(fileURLWithPath: DaemonHarness.photos + "/bythewater.jpg"))
        try daemon.drop(photo: "kite.jpg", as: "a.jpg")
        try daemon.drop(data: photo.prefix(photo.count / 3), as: "b.jpg")
        try daemon.drop(photo: "path.jpg", as: "c.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("b.jpg.error.txt") }
                && FileManager.default.fileExists(atPath: daemon.outbox + "/a.job.json")
                && FileManager.default.fileExists(atPath: daemon.outbox + "/c.job.json")
        }, "\(daemon.log)")
        await daemon.stop()

        let failedFiles = DaemonHarness.files(under: daemon.failed)
        let report = try #require(failedFiles.first { $0.hasSuffix("b.jpg.error.txt") })
        let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
        #expect(text.contains("Stage:   decode"))
        #expect(text.contains("truncated"))
        let keptImage = try #require(failedFiles.first { $0.hasSuffix("/b.jpg") })
        #expect(try Data(contentsOf: URL(fileURLWithPath: daemon.failed + "/" + keptImage)) == photo.prefix(photo.count / 3))
        #expect(DaemonHarness.files(under: daemon.inbox).isEmpty)
    }

    /// A sidecar that is a link or a FIFO cannot be read, so its image must not run without it.
    @Test(arguments: ["link", "fifo"])
    func unreadableSidecarTakesItsImageToFailed(kind: String) async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let outside = NSTemporaryDirectory() + "kontextd-outside-\(UUID().uuidString).yaml"
        try "mask:\n  - rect: [0, 0, 10, 10]\n".write(toFile: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        if kind == "link" {
            try FileManager.default.createSymbolicLink(atPath: daemon.inbox + "/side.yaml", withDestinationPath: outside)
        } else {
            #expect(mkfifo(daemon.inbox + "/side.yaml", 0o644) == 0)
        }
        try daemon.drop(photo: "kite.jpg", as: "side.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("/side.jpg") }
        }, "\(daemon.log)")
        // Give a wrongly run job the time to finish before looking at the outbox.
        try await Task.sleep(for: .seconds(4))
        await daemon.stop()

        let failed = DaemonHarness.files(under: daemon.failed)
        #expect(failed.contains { $0.hasSuffix("/side.yaml") }, "\(failed)")
        #expect(DaemonHarness.files(under: daemon.outbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.inbox).isEmpty)
    }

    @Test func invalidSidecarFailsWithPosition() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(text: "prompt: make it winter\ncolour: blue\n", as: "cups.yaml")
        try daemon.drop(photo: "colorfulcups.jpg", as: "cups.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("cups.jpg.error.txt") }
        }, "\(daemon.log)")
        await daemon.stop()

        let files = DaemonHarness.files(under: daemon.failed)
        let report = try #require(files.first { $0.hasSuffix("cups.jpg.error.txt") })
        let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
        #expect(text.contains("cups.yaml:2:1: error:"))
        #expect(text.contains("'colour'"))
        #expect(files.contains { $0.hasSuffix("/cups.yaml") })
        #expect(files.contains { $0.hasSuffix("/cups.jpg") })
    }

    @Test func promptForFillBackendIsRejected() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(text: "prompt: remove the kite\nmask:\n  - rect: [1600, 450, 300, 250]\n", as: "kite.yaml")
        try daemon.drop(photo: "kite.jpg", as: "kite.jpg")

        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("kite.jpg.error.txt") }
        }, "\(daemon.log)")
        await daemon.stop()
        let report = try #require(DaemonHarness.files(under: daemon.failed).first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
        #expect(text.contains("cannot follow a prompt"))
        #expect(DaemonHarness.files(under: daemon.outbox).isEmpty)
    }

    @Test func retryRequeuesFixedJob() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        try daemon.drop(text: "backend: nowhere\nmask:\n  - rect: [10, 10, 40, 40]\n", as: "autumn.yaml")
        try daemon.drop(photo: "autumn.jpg", as: "autumn.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("autumn.jpg.error.txt") }
        }, "\(daemon.log)")
        let sidecar = try #require(DaemonHarness.files(under: daemon.failed).first { $0.hasSuffix("autumn.yaml") })
        try "backend: fill\nmask:\n  - rect: [10, 10, 40, 40]\n".write(toFile: daemon.failed + "/" + sidecar, atomically: true, encoding: .utf8)

        let retry = try DaemonHarness.runCommand(["retry", "--config", daemon.configPath, "--all"])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/autumn.job.json")
        }, "\(daemon.log)")
        await daemon.stop()
        #expect(!DaemonHarness.files(under: daemon.failed).contains { $0.hasSuffix("autumn.jpg") })
    }

    @Test func burstOfSmallImagesEachRunOnce() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let count = 150
        for index in 0..<count {
            let image = Image(width: 48, height: 32, layout: .rgb, filledWith: UInt8(index % 256))
            let bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .png))
            try daemon.drop(data: Data(bytes), as: "tile-\(index).png")
        }
        #expect(await DaemonHarness.waitUntil(timeout: 120) {
            DaemonHarness.files(under: daemon.outbox).filter { $0.hasSuffix(".job.json") }.count >= count
        }, "\(daemon.log)")
        await daemon.stop()

        let results = DaemonHarness.files(under: daemon.outbox).filter { !$0.hasPrefix("originals/") && $0.hasSuffix(".png") }
        #expect(results.count == count)
        #expect(results.allSatisfy { $0.hasSuffix("-edited.png") })
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }

    @Test func logLinesCarryJournalPriorities() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start(journal: true)
        try daemon.drop(photo: "kite.jpg", as: "sky.jpg")
        #expect(await DaemonHarness.waitUntil(timeout: 60) {
            FileManager.default.fileExists(atPath: daemon.outbox + "/sky.job.json")
        })
        #expect(await daemon.stop() == 0)
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<5>Daemon started") })
        let finished = lines.first { $0.hasPrefix("<6>Job finished") }
        #expect(finished != nil)
        #expect(finished?.contains("job.id=") == true)
        #expect(lines.contains { $0.hasPrefix("<5>Daemon stopped") })
    }
}
