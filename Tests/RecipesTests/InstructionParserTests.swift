import Foundation
import Testing

@testable import Recipes

struct InstructionParserTests {
    private func parse(_ text: String, kind: InstructionKind = .sidecar) throws -> ParsedInstruction {
        try InstructionParser(kind: kind).parse(Array(text.utf8), fileName: "photo.yaml")
    }

    @Test func fullSidecarParses() throws {
        let text = """
            prompt: Replace the background with a winter landscape, keep the bunny in the same pose
            mask:
              shapes:
                - rect: [10, 20, 300, 200]
                - ellipse: [50, 60, 10.5, 20]
                - polygon: [[0, 0], [100, 0], [50, 80]]
              invert: true
              grow: 8
              feather: 2.5
            size: {aspect: "16:9", long_edge: 1536}
            seed: 42
            variants: 3
            steps: 28
            guidance: 3.5
            inpaint: {context: 1.5, blend: 24, grow: 4, target: 1024x1024}
            images:
              paths: [other.png, third.jpg]
              direction: down
              match_size: false
              spacing: 8
              spacing_color: black
            backend: comfy
            output: {format: webp, quality: 85, name: "{name}-{variant}.{ext}", keep_metadata: false}
            """

        let instruction = try parse(text).instruction

        var expected = Instruction()
        expected.prompt = "Replace the background with a winter landscape, keep the bunny in the same pose"
        expected.mask = MaskSpec(
            source: .shapes([
                .rect(x: 10, y: 20, width: 300, height: 200),
                .ellipse(centerX: 50, centerY: 60, radiusX: 10.5, radiusY: 20),
                .polygon([.init(x: 0, y: 0), .init(x: 100, y: 0), .init(x: 50, y: 80)]),
            ]),
            invert: true,
            grow: 8,
            feather: 2.5
        )
        expected.size = .aspect(width: 16, height: 9, longEdge: 1536)
        expected.seed = 42
        expected.variants = 3
        expected.steps = 28
        expected.guidance = 3.5
        expected.inpaint = InpaintSpec(context: 1.5, blend: 24, grow: 4, target: .exact(width: 1024, height: 1024))
        expected.images = ImageStitchSpec(
            paths: ["other.png", "third.jpg"],
            direction: .down,
            matchSize: false,
            spacing: 8,
            spacingColor: .black
        )
        expected.backend = "comfy"
        expected.output = OutputSpec(format: .webp, quality: 85, name: "{name}-{variant}.{ext}", keepMetadata: false)
        #expect(instruction == expected)
    }

    @Test(arguments: [
        ("size: keep", SizeSpec.keep),
        ("size: kontext", .kontext),
        ("size: 1024x768", .exact(width: 1024, height: 768)),
        ("size: 16:9", .aspect(width: 16, height: 9, longEdge: nil)),
        ("size: {aspect: '3:2'}", .aspect(width: 3, height: 2, longEdge: nil)),
        ("size: {long_edge: 2048}", .longEdge(2048)),
        ("size: {megapixels: 1.5}", .megapixels(1.5)),
    ])
    func sizeForms(text: String, size: SizeSpec) throws {
        #expect(try parse(text).instruction.size == size)
    }

    @Test(arguments: [
        ("mask: alpha", MaskSpec(source: .alpha)),
        ("mask: masks/sky.png", MaskSpec(source: .file("masks/sky.png"))),
        ("mask: {alpha: true, grow: 3}", MaskSpec(source: .alpha, grow: 3)),
        ("mask: {file: m.png, invert: true}", MaskSpec(source: .file("m.png"), invert: true)),
        ("mask: [{rect: [0, 0, 5, 5]}]", MaskSpec(source: .shapes([.rect(x: 0, y: 0, width: 5, height: 5)]))),
    ])
    func maskForms(text: String, mask: MaskSpec) throws {
        #expect(try parse(text).instruction.mask == mask)
    }

    @Test func imagesAsPlainList() throws {
        let instruction = try parse("images: [a.png, b.png]").instruction

        #expect(instruction.images == ImageStitchSpec(paths: ["a.png", "b.png"]))
    }

    @Test func chainEntriesParse() throws {
        let text =
            "steps: 30\nchain:\n  - prompt: remove the car\n    backend: fill\n  - {prompt: make it dusk, size: kontext}\n"

        let chain = try #require(try parse(text).instruction.chain)

        #expect(chain.count == 2)
        #expect(chain[0].prompt == "remove the car")
        #expect(chain[0].backend == "fill")
        #expect(chain[1].size == .kontext)
        #expect(chain[1].steps == nil)
    }

    @Test func recipeAcceptsIntake() throws {
        let text = "intake: {sidecar_required: true, sidecar_wait: 45, settle: 1.5}\n"

        let intake = try parse(text, kind: .recipe).instruction.intake

        #expect(intake == IntakeSpec(sidecarRequired: true, sidecarWaitSeconds: 45, settleSeconds: 1.5))
    }

    @Test func emptyFileIsEmptyInstruction() throws {
        let parsed = try parse("# nothing to change\n")

        #expect(parsed.instruction == Instruction())
        #expect(parsed.warnings.isEmpty)
    }

    @Test func longPromptWarns() throws {
        let prompt = Array(repeating: "a very detailed description", count: 200).joined(separator: ", ")

        // 200 * 27 characters + 199 separators of 2 = 5,798 characters, or 1,450 tokens at 4 characters each.
        let parsed = try parse("prompt: \(prompt)\n")

        #expect(parsed.instruction.prompt == prompt)
        #expect(
            parsed.warnings.map(\.description) == [
                "photo.yaml:1:9: warning: 'prompt' is about 1450 T5 tokens (an estimate from its length); Flux Kontext "
                    + "reads about 512, so the end may be ignored; shorten it"
            ]
        )
    }

    @Test func shortPromptDoesNotWarn() throws {
        #expect(try parse("prompt: make the sky a winter sunset\n").warnings.isEmpty)
    }

    @Test func anchorsShareSettings() throws {
        let text = "chain:\n  - &pass {prompt: a, steps: 12}\n  - *pass\n"

        let chain = try #require(try parse(text).instruction.chain)

        #expect(chain[0] == chain[1])
        #expect(chain[1].steps == 12)
    }

    @Test func unknownBackendIsRejected() {
        let parser = InstructionParser(knownBackends: ["fill", "comfy"])

        #expect(
            throws: RecipesError.invalid([
                Diagnostic(
                    file: "photo.yaml",
                    position: SourcePosition(line: 1, column: 10),
                    message: "'backend' is 'comfi', which is not a backend in the configuration; did you mean 'comfy'?"
                )
            ])
        ) {
            try parser.parse(Array("backend: comfi\n".utf8), fileName: "photo.yaml")
        }
    }

    @Test func unreadableFileNamesPath() {
        #expect(throws: RecipesError.unreadable(path: "/nonexistent/photo.yaml", reason: "no such file")) {
            try InstructionParser().parse(contentsOf: "/nonexistent/photo.yaml")
        }
    }
}

struct FileBytesTests {
    @Test func folderIsNotRegularFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let folder = try directory.makeFolder("photo.yaml")

        #expect(throws: RecipesError.unreadable(path: folder, reason: "not a regular file")) {
            try InstructionParser().parse(contentsOf: folder)
        }
    }

    @Test func fifoDoesNotBlock() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/photo.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)

        #expect(throws: RecipesError.unreadable(path: fifo, reason: "not a regular file")) {
            try InstructionParser().parse(contentsOf: fifo)
        }
    }

    @Test func oversizedFileIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // 2 + 4 MiB + 1 bytes.
        let path = try directory.write("photo.yaml", "# " + String(repeating: "x", count: 4 << 20) + "\n")

        #expect(
            throws: RecipesError.invalid([
                Diagnostic(
                    file: path,
                    position: SourcePosition(line: 1, column: 1),
                    message: "the file has 4194307 bytes, more than the limit of 1048576; YAML files here must be small"
                )
            ])
        ) {
            try InstructionParser().parse(contentsOf: path)
        }
    }
}
