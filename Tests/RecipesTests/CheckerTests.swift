import Foundation
import Testing

@testable import Recipes

struct CheckerTests {
    /// Writes the example configuration with /srv/kontextd moved into `directory`, and creates its folders.
    private func installExample(in directory: TemporaryDirectory) throws -> String {
        let example = try String(contentsOfFile: exampleFolder + "/kontextd.yaml", encoding: .utf8)
        for folder in ["inbox", "outbox", "failed", "state"] {
            try directory.makeFolder("srv/\(folder)")
        }
        return try directory.write(
            "kontextd.yaml",
            example.replacingOccurrences(of: "/srv/kontextd", with: directory.path + "/srv")
        )
    }

    @Test func exampleSetupIsValid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        let removal = try String(contentsOfFile: exampleFolder + "/recipes/remove-objects.recipe.yaml", encoding: .utf8)
        let ingest = try String(contentsOfFile: exampleFolder + "/recipes/ingest-web.recipe.yaml", encoding: .utf8)
        try directory.write("srv/inbox/remove/kontextd.recipe.yaml", removal)
        try directory.write("srv/inbox/web/kontextd.recipe.yaml", ingest)
        try directory.write("srv/inbox/remove/photo.yaml", "mask: photo-mask.png\n")

        #expect(Checker.check(configPath: config) == [])
    }

    @Test func missingLocalBackendFilesAreWarnings() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for folder in ["inbox", "outbox", "failed", "state", "clip"] {
            try directory.makeFolder(folder)
        }
        let root = directory.path
        let vae = try directory.write("ae.safetensors", "not checked here")
        try directory.write("clip/vocab.json", "{}")
        let config = try directory.write(
            "kontextd.yaml",
            """
            watches:
              - {name: a, inbox: \(root)/inbox, outbox: \(root)/outbox, failed: \(root)/failed, state: \(root)/state}
            backends:
              - name: cpu
                type: local
                transformer: \(root)/flux.gguf
                vae: \(vae)
                clip_l: \(root)/clip
                t5xxl: \(vae)
                clip_tokenizer: \(root)/clip
                t5_tokenizer: \(vae)

            """
        )

        let messages = Checker.check(configPath: config).map(\.description)
        #expect(
            messages == [
                "\(config): warning: transformer '\(root)/flux.gguf' of backend 'cpu' does not exist; jobs for this backend "
                    + "fail until it is in place (the Flux Kontext transformer (safetensors or GGUF))",
                "\(config): warning: clip_l '\(root)/clip' of backend 'cpu' is a folder, not a file; jobs for this backend "
                    + "fail until it is in place (the CLIP-L text encoder (clip_l.safetensors))",
                "\(config): warning: clip_tokenizer '\(root)/clip' of backend 'cpu' lacks vocab.json or merges.txt; jobs "
                    + "for this backend fail until it is in place (the folder holding CLIP's vocab.json and merges.txt)",
            ]
        )
    }

    @Test func everyProblemIsListed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        let recipe = try directory.write("srv/inbox/a/kontextd.recipe.yaml", "backend: comfy\n")
        let sidecar = try directory.write("srv/inbox/a/b/photo.YML", "mask: ../../../secret.png\nsteps: 0\n")
        let warning = try directory.write(
            "srv/inbox/long.yaml",
            "prompt: " + String(repeating: "word ", count: 600) + "\n"
        )
        try directory.write("srv/inbox/.hidden.yaml", "broken: [\n")
        try directory.write("srv/inbox/@eaDir/meta.yaml", "broken: [\n")
        // The example configuration ignores `~$*`, the lock files of office programs.
        try directory.write("srv/inbox/~$draft.yaml", "broken: [\n")
        let inbox = directory.path + "/srv/inbox"

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(recipe):1:10: error: 'backend' is 'comfy', which is not a backend in the configuration; "
                    + "configured backends are fill",
                "\(sidecar):1:7: error: invalid 'mask': path '../../../secret.png' leads outside the inbox '\(inbox)'; "
                    + "keep referenced files inside the inbox",
                "\(sidecar):2:8: error: invalid value '0' for 'steps': expected an integer from 1 to 100, "
                    + "for example 'steps: 20'",
                "\(warning):1:9: warning: 'prompt' is about 750 T5 tokens (an estimate from its length); Flux Kontext "
                    + "reads about 512, so the end may be ignored; shorten it",
                "\(warning): warning: the instruction has a prompt, but backend 'fill' is a content-aware fill that "
                    + "cannot follow prompts, so such jobs will fail; set 'backend' to a comfyui, hosted or local backend",
            ]
        )
    }

    @Test func promptForFillBackendWarns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        let winter = try String(
            contentsOfFile: exampleFolder + "/recipes/winter-background.recipe.yaml",
            encoding: .utf8
        )
        let recipe = try directory.write("srv/inbox/winter/kontextd.recipe.yaml", winter)

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(recipe): warning: the instruction has a prompt, but backend 'fill' is a content-aware fill that "
                    + "cannot follow prompts, so such jobs will fail; set 'backend' to a comfyui, hosted or local backend"
            ]
        )
    }

    @Test func mergedContradictionIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        try directory.write("srv/inbox/kontextd.recipe.yaml", "output: {name: '{name}-done.{ext}'}\n")
        try directory.write("srv/inbox/team/kontextd.recipe.yaml", "steps: 12\n")
        let sidecar = try directory.write("srv/inbox/team/photo.yaml", "variants: 3\n")

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(sidecar): error: output name '{name}-done.{ext}' gives all 3 variants the same name; add {variant} "
                    + "or {seed} (after merging the folder recipes)"
            ]
        )
    }

    @Test func brokenRecipeSkipsMergedChecks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        let recipe = try directory.write("srv/inbox/kontextd.recipe.yaml", "output: {name: '{name}.{ext}'}\nsteps: 0\n")
        try directory.write("srv/inbox/team/photo.yaml", "variants: 3\n")

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(recipe):2:8: error: invalid value '0' for 'steps': expected an integer from 1 to 100, "
                    + "for example 'steps: 20'"
            ]
        )
    }

    @Test func sidecarLinkOutsideIsNotRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        let secret = try directory.write("secret.yaml", "password: hunter2\n")
        try directory.link("srv/inbox/photo.yaml", to: secret)
        let sidecar = directory.path + "/srv/inbox/photo.yaml"

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(sidecar): error: path 'photo.yaml' goes through the symbolic link '\(sidecar)' to '\(secret)', outside "
                    + "the inbox; copy the file into the inbox instead"
            ]
        )
    }

    @Test func missingFoldersWarn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try installExample(in: directory)
        try FileManager.default.removeItem(atPath: directory.path + "/srv/failed")

        let lines = Checker.check(configPath: config).map(\.description)

        #expect(
            lines == [
                "\(config): warning: failed folder '\(directory.path)/srv/failed' of watch 'photos' does not exist yet; "
                    + "create it before starting the daemon"
            ]
        )
    }

    @Test func invalidConfigurationStopsEarly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kontextd.yaml", "watches: []\n")

        #expect(
            Checker.check(configPath: config).map(\.description) == [
                "\(config):1:10: error: 'watches' is empty; expected a list of watches, each with name, inbox, outbox, "
                    + "failed and state"
            ]
        )
    }

    @Test func missingConfigurationIsReported() {
        #expect(
            Checker.check(configPath: "/nonexistent/kontextd.yaml").map(\.description) == [
                "/nonexistent/kontextd.yaml: error: cannot read '/nonexistent/kontextd.yaml': no such file"
            ]
        )
    }
}
