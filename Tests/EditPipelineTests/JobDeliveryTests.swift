import Foundation
import Imaging
import Recipes
import Testing

@testable import EditPipeline

struct JobDeliveryTests {
    private struct Setup {
        let root: String
        let folders: WatchFolders
        let claim: JobFolder
        let job: JobInput

        init(folder: String = "team") throws {
            root = NSTemporaryDirectory() + "kontextd-delivery-" + UUID().uuidString.prefix(8).lowercased()
            folders = WatchFolders(name: "w", inbox: root + "/in", outbox: root + "/out", failed: root + "/failed", state: root + "/state")
            claim = try JobFolder()
            try claim.write(try Fixtures.gradientPNG(width: 32, height: 32), as: "p.png")
            try claim.write("output:\n  format: png\n", as: "p.yaml")
            job = JobInput(id: "20261204T000000.000Z-0001", directory: claim.directory, imageName: "p.png", sidecarName: "p.yaml", watch: "w", folder: folder)
        }

        func run() async -> PipelineResult {
            await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: root)
            claim.remove()
        }
    }

    private func files(under folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects.compactMap { $0 as? String } ?? [])
            .filter { path in
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory)
                return exists && !isDirectory.boolValue
            }
            .sorted()
    }

    @Test func successWritesResultLogAndOriginals() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let result = await setup.run()

        let outputs = try JobDelivery(watch: setup.folders, originals: .keep).deliverSuccess(result, job: setup.job)

        #expect(outputs == [setup.folders.outbox + "/team/p-edited.png"])
        #expect(files(under: setup.folders.outbox) == [
            "team/originals/20261204T000000.000Z-0001/p.png",
            "team/originals/20261204T000000.000Z-0001/p.yaml",
            "team/p-edited.png",
            "team/p.job.json",
        ])
        #expect(!FileManager.default.fileExists(atPath: setup.claim.directory))
        let log = try JobLog.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: setup.folders.outbox + "/team/p.job.json"))))
        #expect(log.outputs.map(\.name) == ["p-edited.png"])
        #expect(log.outcome == "succeeded")
    }

    @Test func existingOutputGetsVersionedName() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        try FileManager.default.createDirectory(atPath: setup.folders.outbox + "/team", withIntermediateDirectories: true)
        try Data("older result".utf8).write(to: URL(fileURLWithPath: setup.folders.outbox + "/team/p-edited.png"))
        let result = await setup.run()

        let outputs = try JobDelivery(watch: setup.folders, originals: .delete).deliverSuccess(result, job: setup.job)

        #expect(outputs == [setup.folders.outbox + "/team/p-edited-2.png"])
        #expect(try String(contentsOfFile: setup.folders.outbox + "/team/p-edited.png", encoding: .utf8) == "older result")
        #expect(files(under: setup.folders.outbox) == ["team/p-edited-2.png", "team/p-edited.png", "team/p.job.json"])
    }

    @Test func resumeFinishesInterruptedDelivery() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let result = await setup.run()
        let delivery = JobDelivery(watch: setup.folders, originals: .keep)

        // Phase one only, as if the daemon died right after writing the plan.
        let plan = try delivery.prepareSuccess(result, job: setup.job)
        #expect(files(under: setup.folders.outbox).allSatisfy { $0.hasPrefix("team/.") && $0.hasSuffix(".tmp") })
        #expect(FileManager.default.fileExists(atPath: setup.claim.directory + "/delivery.json"))

        let resumed = try JobDelivery(watch: setup.folders, originals: .keep).resume(claimFolder: setup.claim.directory)

        #expect(resumed)
        #expect(plan.moves.count == 2)
        #expect(files(under: setup.folders.outbox).contains("team/p-edited.png"))
        #expect(!files(under: setup.folders.outbox).contains { $0.hasSuffix(".tmp") })
        #expect(!FileManager.default.fileExists(atPath: setup.claim.directory))
    }

    @Test func resumeWithoutPlanReportsRerun() throws {
        let setup = try Setup()
        defer { setup.remove() }

        let resumed = try JobDelivery(watch: setup.folders, originals: .keep).resume(claimFolder: setup.claim.directory)

        #expect(!resumed)
        #expect(FileManager.default.fileExists(atPath: setup.claim.directory + "/p.png"))
    }

    @Test func failureMovesFilesWithReport() async throws {
        let setup = try Setup(folder: "")
        defer { setup.remove() }
        var result = await setup.run()
        let failure = JobFailure(stage: .decode, message: "'p.png': truncated")
        result.failure = failure

        let folder = try JobDelivery(watch: setup.folders, originals: .keep).deliverFailure(result, failure: failure, job: setup.job)

        #expect(folder == setup.folders.failed + "/20261204T000000.000Z-0001")
        #expect(files(under: folder) == ["p.png", "p.png.error.txt", "p.png.job.json", "p.yaml"])
        let report = try String(contentsOfFile: folder + "/p.png.error.txt", encoding: .utf8)
        #expect(report.contains("Stage:   decode"))
        #expect(report.contains("Files:   p.png, p.yaml\n"))
        #expect(!report.contains(".inbox/"))
        #expect(report.contains("'p.png': truncated"))
        #expect(!FileManager.default.fileExists(atPath: setup.claim.directory))
    }

    @Test func reportExplainsFilesFromElsewhereInTheInbox() {
        let job = JobInput(
            id: "j1", directory: "/nowhere", imageName: "kite.jpg", sidecarName: "kite.yaml",
            otherNames: [".inbox/masks/sky.png"], watch: "w", folder: "team2"
        )

        let text = ErrorReport(failure: JobFailure(stage: .instruction, message: "unknown backend"), job: job).text

        #expect(text.contains("Files:   kite.jpg, kite.yaml, .inbox/masks/sky.png\n"))
        #expect(text.contains("`.inbox/masks/sky.png` back to `masks/sky.png` at the top of the inbox"))
        #expect(text.contains("`kontextd retry j1`"))
    }

    /// A crash after the report was written but before the inputs moved: the report is still hidden,
    /// so `kontextd retry` cannot take a half-filled folder, and resuming completes and reveals it.
    @Test func resumedFailureRevealsItsReportLast() async throws {
        let setup = try Setup(folder: "")
        defer { setup.remove() }
        let folder = setup.folders.failed + "/20261204T000000.000Z-0001"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "What failed:\n'p.png': truncated\n".write(toFile: folder + "/.kontextd-report-p.png.error.txt.pending", atomically: true, encoding: .utf8)
        let delivery = JobDelivery(watch: setup.folders, originals: .keep)

        #expect(!FileManager.default.fileExists(atPath: folder + "/p.png.error.txt"))
        let resumed = try delivery.resumeFailure(job: setup.job)

        #expect(resumed == folder)
        #expect(files(under: folder) == ["p.png", "p.png.error.txt", "p.yaml"])
        let report = try String(contentsOfFile: folder + "/p.png.error.txt", encoding: .utf8)
        #expect(report.contains("'p.png': truncated"))
        #expect(!FileManager.default.fileExists(atPath: setup.claim.directory))
    }

    @Test func failureWithoutReportIsNotResumed() throws {
        let setup = try Setup(folder: "")
        defer { setup.remove() }

        let resumed = try JobDelivery(watch: setup.folders, originals: .keep).resumeFailure(job: setup.job)

        #expect(resumed == nil)
        #expect(FileManager.default.fileExists(atPath: setup.claim.directory + "/p.png"))
    }

    @Test func longNamesAreShortenedInTheStem() {
        let long = String(repeating: "é", count: 150) + ".png"

        let name = OutputNaming(template: "{name}-edited.{ext}")
            .fileName(inputName: long, fileExtension: "png", variant: 1, seed: 1, jobID: "j")

        #expect(name.utf8.count <= OutputNaming.maxNameBytes)
        #expect(name.hasSuffix("é.png") || name.hasSuffix("-edited.png") || name.hasSuffix(".png"))
        #expect(name.hasPrefix("éé"))
        #expect(String(decoding: Array(name.utf8), as: UTF8.self) == name)
    }

    @Test func outputNamesStayInsideOutbox() {
        let naming = OutputNaming(template: "../{name}/x.{ext}")

        let name = naming.fileName(inputName: "photo.jpg", fileExtension: "png", variant: 1, seed: 3, jobID: "j")

        #expect(name == "_._photo_x.png")
        #expect(!name.contains("/"))
    }
}
