import Backends
import EditPipeline
import Foundation
import Imaging
import Recipes
import Testing

struct EditPipelineTests {
    private func decode(_ output: ProducedOutput) throws -> Image {
        try ImageDecoder.decode(output.bytes).image
    }

    @Test func maskedEditChangesOnlyBlendZone() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        let source = try Fixtures.gradientPNG(width: 640, height: 400)
        try folder.write(source, as: "g.png")
        try folder.write("mask:\n  - rect: [300, 150, 80, 60]\ninpaint:\n  blend: 8\n", as: "g.yaml")
        let backend = PaintBackend()
        let job = JobInput(id: "j1", directory: folder.directory, imageName: "g.png", sidecarName: "g.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([backend]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure == nil)
        let output = try decode(try #require(result.outputs.first))
        let original = try ImageDecoder.decode(source).image
        #expect(output.width == 640)
        #expect(output.height == 400)
        var changedFar = 0
        var red = 0
        for y in 0..<400 {
            for x in 0..<640 {
                let index = (y * 640 + x) * 3
                let far = x < 260 || x > 420 || y < 110 || y > 250
                if far && output.pixels[index..<index + 3] != original.pixels[index..<index + 3] { changedFar += 1 }
                if (310..<370).contains(x) && (160..<200).contains(y) && output.pixels[index..<index + 3] == [255, 0, 0] { red += 1 }
            }
        }
        #expect(changedFar == 0)
        #expect(red == 60 * 40)
        #expect(backend.received.count == 1)
        let sent = backend.received[0].image
        let kontextSize = KontextResolution.nearest(width: sent.width, height: sent.height)
        #expect(sent.width == kontextSize.width)
        #expect(sent.height == kontextSize.height)
        #expect(result.log.backend == "paint")
        #expect(result.log.server == "paint-1")
    }

    @Test func promptEditUsesKontextResolution() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.photo("autumn.jpg"), as: "autumn.jpg")
        try folder.write("prompt: make it winter\nseed: 42\nsteps: 12\n", as: "autumn.yaml")
        let backend = PaintBackend()
        let job = JobInput(id: "j2", directory: folder.directory, imageName: "autumn.jpg", sidecarName: "autumn.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([backend]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure == nil)
        let request = try #require(backend.received.first)
        #expect(request.image.width == 1328)
        #expect(request.image.height == 800)
        #expect(request.prompt == "make it winter")
        #expect(request.seed == 42)
        #expect(request.steps == 12)
        #expect(request.guidance == 2.5)
        #expect(request.mask == nil)
        let output = try decode(try #require(result.outputs.first))
        #expect(output.width == 2560)
        #expect(output.height == 1600)
        #expect(result.outputs.first?.name == "autumn-edited.jpg")
    }

    @Test func variantsProduceOneOutputPerSeed() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 256, height: 256), as: "v.png")
        try folder.write("prompt: paint\nseed: 7\nvariants: 3\n", as: "v.yaml")
        let backend = PaintBackend()
        let job = JobInput(id: "j3", directory: folder.directory, imageName: "v.png", sidecarName: "v.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([backend]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.outputs.map(\.name) == ["v-edited-1.png", "v-edited-2.png", "v-edited-3.png"])
        #expect(backend.received.map(\.seed) == [7, 8, 9])
        #expect(result.log.seeds == [7, 8, 9])
    }

    @Test func chainRunsEachStepOnPreviousResult() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 200, height: 100), as: "c.png")
        try folder.write("""
            chain:
              - mask:
                  - rect: [0, 0, 50, 50]
                backend: red
              - mask:
                  - rect: [100, 0, 50, 50]
                backend: blue
            """, as: "c.yaml")
        let red = PaintBackend(name: "red", colour: [255, 0, 0])
        let blue = PaintBackend(name: "blue", colour: [0, 0, 255])
        let job = JobInput(id: "j4", directory: folder.directory, imageName: "c.png", sidecarName: "c.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([red, blue]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure == nil)
        #expect(red.received.count == 1)
        #expect(blue.received.count == 1)
        let output = try decode(try #require(result.outputs.first))
        #expect(Array(output.pixels[((20 * 200) + 20) * 3..<((20 * 200) + 20) * 3 + 3]) == [255, 0, 0])
        #expect(Array(output.pixels[((20 * 200) + 120) * 3..<((20 * 200) + 120) * 3 + 3]) == [0, 0, 255])
    }

    @Test func recipeSuppliesDefaultsSidecarOverrides() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 320, height: 200), as: "r.png")
        try folder.write("output:\n  format: jpeg\n", as: "r.yaml")
        var recipe = Instruction()
        recipe.size = .exact(width: 160, height: 100)
        recipe.output = OutputSpec(format: .webp, quality: 70)
        let job = JobInput(id: "j5", directory: folder.directory, imageName: "r.png", sidecarName: "r.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: recipe, recipeFiles: ["/x/kontextd.recipe.yaml"])

        let output = try #require(result.outputs.first)
        #expect(output.name == "r-edited.jpg")
        let decoded = try ImageDecoder.decode(output.bytes)
        #expect(decoded.format == .jpeg)
        #expect(decoded.image.width == 160)
        #expect(result.log.recipeFiles == ["/x/kontextd.recipe.yaml"])
    }

    @Test func unknownBackendFailsWithConfiguredNames() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 64, height: 64), as: "u.png")
        try folder.write("prompt: x\nbackend: gpu\n", as: "u.yaml")
        let job = JobInput(id: "j6", directory: folder.directory, imageName: "u.png", sidecarName: "u.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.message == "backend 'gpu' is not configured; configured backends are 'paint'. "
            + "Add it under `backends:` in the daemon configuration or change `backend:` in the recipe or sidecar.")
        #expect(result.log.outcome == "failed")
        #expect(result.outputs.isEmpty)
    }

    @Test func maskOnlyEditNeedsFillCapability() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 64, height: 64), as: "m.png")
        try folder.write("mask:\n  - rect: [0, 0, 10, 10]\n", as: "m.yaml")
        let kontext = PaintBackend(name: "kontext", capabilities: .promptEdit)
        let job = JobInput(id: "j7", directory: folder.directory, imageName: "m.png", sidecarName: "m.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([kontext], defaultBackend: "kontext").run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.stage == .instruction)
        #expect(result.failure?.message.hasPrefix("backend 'kontext' needs a prompt for a masked edit") == true)
        #expect(kontext.received.isEmpty)
    }

    @Test func transientBackendErrorIsMarkedTransient() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 64, height: 64), as: "t.png")
        try folder.write("prompt: x\n", as: "t.yaml")
        let flaky = PaintBackend(failure: .transient("server 127.0.0.1:8188 refused the connection"))
        let job = JobInput(id: "j8", directory: folder.directory, imageName: "t.png", sidecarName: "t.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([flaky]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.isTransient == true)
        #expect(result.failure?.message == "backend 'paint': server 127.0.0.1:8188 refused the connection")
        #expect(result.log.outcome == "retrying")
    }

    @Test func maskFileMustMatchImageSize() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 64, height: 64), as: "s.png")
        try folder.write(try Fixtures.gradientPNG(width: 32, height: 64), as: "s.mask.png")
        try folder.write("mask: s.mask.png\n", as: "s.yaml")
        let job = JobInput(id: "j9", directory: folder.directory, imageName: "s.png", sidecarName: "s.yaml", otherNames: ["s.mask.png"], watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.stage == .mask)
        #expect(result.failure?.message.contains("32x64") == true)
        #expect(result.failure?.message.contains("64x64") == true)
    }

    @Test func referencedPathOutsideJobIsRejected() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 64, height: 64), as: "e.png")
        try folder.write("mask: ../../etc/shadow\n", as: "e.yaml")
        let job = JobInput(id: "j10", directory: folder.directory, imageName: "e.png", sidecarName: "e.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.message == "e.yaml: error: path '../../etc/shadow' leaves the inbox; name files relative to the sidecar, inside the inbox")
    }

    @Test func alphaMaskFillBecomesOpaque() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        var rgba = Image(width: 96, height: 64, layout: .rgba, filledWith: 200)
        for pixel in 0..<(96 * 64) {
            rgba.pixels[pixel * 4 + 3] = 255
        }
        for y in 20..<40 {
            for x in 30..<60 {
                rgba.pixels[(y * 96 + x) * 4 + 3] = 0
            }
        }
        try folder.write(try ImageEncoder.encode(rgba, options: EncodeOptions(format: .png)), as: "a.png")
        try folder.write("mask: alpha\n", as: "a.yaml")
        let job = JobInput(id: "j12", directory: folder.directory, imageName: "a.png", sidecarName: "a.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure == nil)
        let output = try ImageDecoder.decode(try #require(result.outputs.first).bytes).image
        #expect(output.layout == .rgba)
        let hole = (30 * 96 + 45) * 4
        #expect(Array(output.pixels[hole..<hole + 4]) == [255, 0, 0, 255])
        let outside = (5 * 96 + 5) * 4
        #expect(Array(output.pixels[outside..<outside + 4]) == [200, 200, 200, 255])
    }

    @Test func namedBackendMustExistWithoutEdit() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        try folder.write(try Fixtures.gradientPNG(width: 32, height: 32), as: "n.png")
        try folder.write("backend: nope\n", as: "n.yaml")
        let job = JobInput(id: "j13", directory: folder.directory, imageName: "n.png", sidecarName: "n.yaml", watch: "t", folder: "")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure?.message.hasPrefix("backend 'nope' is not configured") == true)
    }

    @Test func jobLogRecordsInputsAndTimings() async throws {
        let folder = try JobFolder()
        defer { folder.remove() }
        let bytes = try Fixtures.gradientPNG(width: 64, height: 48)
        try folder.write(bytes, as: "l.png")
        let job = JobInput(id: "j11", directory: folder.directory, imageName: "l.png", sidecarName: nil, watch: "t", folder: "sub")

        let result = await Fixtures.makePipeline([PaintBackend()]).run(job, recipe: Instruction(), recipeFiles: [])

        #expect(result.failure == nil)
        #expect(result.log.inputs.map(\.name) == ["l.png"])
        #expect(result.log.inputs.first?.bytes == bytes.count)
        #expect(result.log.inputs.first?.sha256.count == 64)
        #expect(result.log.timings.map(\.stage).contains("decode"))
        #expect(result.log.inputSize == [64, 48])
        #expect(result.log.backend == nil)
        var decoded = try JobLog.decode(result.log.encoded())
        #expect(abs(decoded.startedAt.timeIntervalSince(result.log.startedAt)) < 0.001)
        decoded.startedAt = result.log.startedAt
        decoded.finishedAt = result.log.finishedAt
        #expect(decoded == result.log)
    }
}
