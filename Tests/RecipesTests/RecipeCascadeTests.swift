import Testing

@testable import Recipes

struct RecipeCascadeTests {
    @Test func deeperRecipesOverride() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let root = try directory.write(
            "inbox/kontextd.recipe.yaml",
            "prompt: root\nsteps: 10\noutput: {format: png, quality: 70}\n"
        )
        let middle = try directory.write("inbox/team/kontextd.recipe.yml", "steps: 20\noutput: {quality: 80}\n")
        try directory.makeFolder("inbox/team/skipped")
        let leaf = try directory.write(
            "inbox/team/skipped/leaf/kontextd.recipe.yaml",
            "guidance: 4\nintake: {settle: 1}\n"
        )

        let cascade = try RecipeCascade.load(inboxRoot: inbox, folder: inbox + "/team/skipped/leaf")

        #expect(cascade.files == [root, middle, leaf])
        #expect(cascade.instruction.prompt == "root")
        #expect(cascade.instruction.steps == 20)
        #expect(cascade.instruction.guidance == 4)
        #expect(cascade.instruction.output == OutputSpec(format: .png, quality: 80))
        #expect(cascade.instruction.intake == IntakeSpec(settleSeconds: 1))
    }

    @Test func siblingRecipeDoesNotApply() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        try directory.write("inbox/other/kontextd.recipe.yaml", "steps: 99\n")
        try directory.makeFolder("inbox/mine")

        let cascade = try RecipeCascade.load(inboxRoot: inbox, folder: inbox + "/mine")

        #expect(cascade.files.isEmpty)
        #expect(cascade.instruction == Instruction())
    }

    @Test func sidecarOverridesCascade() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        try directory.write("inbox/kontextd.recipe.yaml", "prompt: recipe\nsteps: 12\n")
        let sidecar = try InstructionParser().parse(Array("prompt: sidecar\n".utf8), fileName: "photo.yaml")

        let cascade = try RecipeCascade.load(inboxRoot: inbox, folder: inbox)
        let merged = sidecar.instruction.merged(over: cascade.instruction)

        #expect(merged.prompt == "sidecar")
        #expect(merged.steps == 12)
    }

    @Test func everyBrokenRecipeIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let root = try directory.write("inbox/kontextd.recipe.yaml", "steps: 0\n")
        let child = try directory.write("inbox/a/kontextd.recipe.yaml", "promt: x\n")

        #expect(
            throws: RecipesError.invalid([
                Diagnostic(
                    file: root,
                    position: SourcePosition(line: 1, column: 8),
                    message: "invalid value '0' for 'steps': expected an integer from 1 to 100, for example 'steps: 20'"
                ),
                Diagnostic(
                    file: child,
                    position: SourcePosition(line: 1, column: 1),
                    message: "unknown key 'promt'; did you mean 'prompt'?"
                ),
            ])
        ) {
            try RecipeCascade.load(inboxRoot: inbox, folder: inbox + "/a")
        }
    }

    @Test func bothRecipeNamesAreAmbiguous() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        try directory.write("inbox/kontextd.recipe.yaml", "steps: 10\n")
        try directory.write("inbox/kontextd.recipe.yml", "steps: 11\n")

        #expect(throws: RecipesError.ambiguousRecipe(folder: inbox)) {
            try RecipeCascade.load(inboxRoot: inbox, folder: inbox)
        }
    }

    @Test func folderOutsideInboxIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let outside = try directory.makeFolder("elsewhere")

        #expect(throws: RecipesError.outsideInbox(outside, inbox: inbox)) {
            try RecipeCascade.load(inboxRoot: inbox, folder: outside)
        }
    }

    @Test func recipeLinkOutsideInboxIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let outside = try directory.write("elsewhere/kontextd.recipe.yaml", "steps: 5\n")
        try directory.link("inbox/kontextd.recipe.yaml", to: outside)

        #expect(
            throws: RecipesError.symlinkEscapesInbox(
                "kontextd.recipe.yaml",
                link: inbox + "/kontextd.recipe.yaml",
                target: outside
            )
        ) {
            try RecipeCascade.load(inboxRoot: inbox, folder: inbox)
        }
    }
}

struct JobInstructionTests {
    @Test func sidecarLaysOverRecipes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let recipe = try directory.write("inbox/kontextd.recipe.yaml", "prompt: recipe\nsteps: 12\n")
        let sidecar = try directory.write("inbox/team/photo.yaml", "prompt: sidecar\n")

        let job = try JobInstruction.load(folder: inbox + "/team", inboxRoot: inbox, sidecar: sidecar)

        #expect(job.files == [recipe, sidecar])
        #expect(job.resolved.passes.map(\.prompt) == ["sidecar"])
        #expect(job.resolved.passes.map(\.steps) == [12])
    }

    @Test func recipeAndSidecarErrorsTogether() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        let recipe = try directory.write("inbox/kontextd.recipe.yaml", "steps: 0\n")
        let sidecar = try directory.write("inbox/photo.yaml", "guidance: high\n")

        #expect(
            throws: RecipesError.invalid([
                Diagnostic(
                    file: recipe,
                    position: SourcePosition(line: 1, column: 8),
                    message: "invalid value '0' for 'steps': expected an integer from 1 to 100, for example 'steps: 20'"
                ),
                Diagnostic(
                    file: sidecar,
                    position: SourcePosition(line: 1, column: 11),
                    message: "invalid value 'high' for 'guidance': expected a number from 0 to 30, "
                        + "for example 'guidance: 2.5'"
                ),
            ])
        ) {
            try JobInstruction.load(folder: inbox, inboxRoot: inbox, sidecar: sidecar)
        }
    }

    @Test func imageWithoutSidecarUsesRecipes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inbox = try directory.makeFolder("inbox")
        try directory.write("inbox/kontextd.recipe.yaml", "size: {long_edge: 2048}\noutput: {format: webp}\n")

        let job = try JobInstruction.load(folder: inbox, inboxRoot: inbox, sidecar: nil)

        #expect(job.resolved.passes.map(\.size) == [.longEdge(2048)])
        #expect(job.resolved.output.format == .webp)
    }
}
