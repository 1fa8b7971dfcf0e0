import Testing

@testable import Recipes

struct MergeTests {
    private func instruction(_ text: String, kind: InstructionKind = .recipe) throws -> Instruction {
        try InstructionParser(kind: kind).parse(Array(text.utf8), fileName: "test.yaml").instruction
    }

    @Test func scalarsOverrideKeyByKey() throws {
        let base = try instruction("prompt: base\nsteps: 10\nguidance: 3\n")
        let top = try instruction("steps: 30\n")

        let merged = top.merged(over: base)

        #expect(merged.prompt == "base")
        #expect(merged.steps == 30)
        #expect(merged.guidance == 3)
    }

    @Test func nestedSectionsMergeKeyByKey() throws {
        let base = try instruction(
            "output: {format: png, quality: 80}\ninpaint: {blend: 8, context: 2}\nintake: {settle: 5}\n"
        )
        let top = try instruction("output: {quality: 95}\ninpaint: {grow: 3}\nintake: {sidecar_required: true}\n")

        let merged = top.merged(over: base)

        #expect(merged.output == OutputSpec(format: .png, quality: 95))
        #expect(merged.inpaint == InpaintSpec(context: 2, blend: 8, grow: 3))
        #expect(merged.intake == IntakeSpec(sidecarRequired: true, settleSeconds: 5))
    }

    @Test func maskSizeAndChainReplaceWhole() throws {
        let base = try instruction(
            "mask: {alpha: true, grow: 9}\nsize: {aspect: '4:3', long_edge: 1024}\nchain: [{prompt: a}, {prompt: b}]\n"
        )
        let top = try instruction("mask: [{rect: [0, 0, 1, 1]}]\nsize: {long_edge: 512}\nchain: [{prompt: c}]\n")

        let merged = top.merged(over: base)

        #expect(merged.mask == MaskSpec(source: .shapes([.rect(x: 0, y: 0, width: 1, height: 1)])))
        #expect(merged.size == .longEdge(512))
        #expect(merged.chain?.map(\.prompt) == ["c"])
    }

    @Test func seedReplacesSeedsAsGroup() throws {
        let base = try instruction("seeds: [1, 2, 3]\n")
        let top = try instruction("seed: 7\n")

        let merged = top.merged(over: base)

        #expect(merged.seed == 7)
        #expect(merged.seeds == nil)
    }

    @Test func resolvedFillsDefaults() throws {
        let resolved = try ResolvedInstruction(Instruction())

        #expect(resolved.variants == 1)
        #expect(resolved.seed == nil)
        #expect(
            resolved.passes == [
                EditPass(
                    prompt: nil,
                    mask: nil,
                    size: .keep,
                    steps: 20,
                    guidance: 2.5,
                    inpaint: ResolvedInpaint(context: 1.2, blend: 16, grow: 0, target: .kontext),
                    backend: nil
                )
            ]
        )
        #expect(
            resolved.output
                == ResolvedOutput(format: .same, quality: 90, name: "{name}-edited.{ext}", keepMetadata: true)
        )
    }

    @Test func chainPassesInheritTopLevel() throws {
        let merged = try instruction(
            "steps: 28\nbackend: comfy\nchain:\n  - {prompt: a, backend: fill}\n  - {prompt: b, guidance: 4}\n"
        )

        let passes = try ResolvedInstruction(merged).passes

        #expect(passes.map(\.prompt) == ["a", "b"])
        #expect(passes.map(\.steps) == [28, 28])
        #expect(passes.map(\.backend) == ["fill", "comfy"])
        #expect(passes.map(\.guidance) == [2.5, 4])
    }

    @Test func variantsGetDistinctDefaultNames() throws {
        let resolved = try ResolvedInstruction(try instruction("seeds: [5, 9]\n"))

        #expect(resolved.variants == 2)
        #expect(resolved.output.name == "{name}-edited-{variant}.{ext}")
        #expect(resolved.seed(forVariant: 1, derivedSeed: 0) == 9)
    }

    @Test func derivedSeedCountsUp() throws {
        let resolved = try ResolvedInstruction(try instruction("variants: 3\n"))

        #expect(resolved.seed(forVariant: 2, derivedSeed: UInt64.max) == 1)
    }

    @Test func mergedVariantsNeedDistinctNames() throws {
        let recipe = try instruction("output: {name: '{name}-final.{ext}'}\n")
        let sidecar = try instruction("variants: 2\n", kind: .sidecar)

        #expect(
            throws: RecipesError.unresolvable(
                "output name '{name}-final.{ext}' gives all 2 variants the same name; add {variant} or {seed}"
            )
        ) {
            try ResolvedInstruction(sidecar.merged(over: recipe))
        }
    }
}
