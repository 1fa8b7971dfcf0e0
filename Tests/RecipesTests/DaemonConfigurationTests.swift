import DaemonSupport
import Foundation
import Testing

@testable import Recipes

/// The repository's etc/kontextd folder.
let exampleFolder = testsFolder() + "/../../etc/kontextd"

struct DaemonConfigurationTests {
    private func parse(_ text: String) throws -> DaemonConfiguration {
        try DaemonConfiguration.parse(Array(text.utf8), fileName: "kontextd.yaml")
    }

    @Test func exampleConfigurationLoads() throws {
        let configuration = try DaemonConfiguration.load(from: exampleFolder + "/kontextd.yaml")

        #expect(
            configuration.watches == [
                DaemonConfiguration.Watch(
                    name: "photos",
                    inbox: "/srv/kontextd/inbox",
                    outbox: "/srv/kontextd/outbox",
                    failed: "/srv/kontextd/failed",
                    state: "/srv/kontextd/state"
                )
            ]
        )
        #expect(configuration.workers == 2)
        #expect(configuration.settle == 2)
        #expect(configuration.sidecarWait == 30)
        #expect(configuration.orphanTimeout == 300)
        #expect(configuration.scanInterval == 60)
        #expect(configuration.maxWait == 3600)
        #expect(configuration.ignore == ["*.crdownload", "~$*"])
        #expect(configuration.originals == .keep)
        #expect(configuration.maxMegapixels == 100)
        #expect(configuration.logLevel == .info)
        #expect(configuration.statusFile == "/srv/kontextd/state/status.json")
        #expect(configuration.retry == DaemonConfiguration.Retry(attempts: 5, initialDelay: 10, maxDelay: 900))
        #expect(configuration.backends.map(\.name) == ["fill"])
        #expect(configuration.backends.map(\.kind) == [.fill])
        #expect(configuration.defaultBackend == "fill")
    }

    @Test func exampleMatchesDefaults() throws {
        let example = try DaemonConfiguration.load(from: exampleFolder + "/kontextd.yaml")
        let minimal = try parse(
            "watches:\n  - {name: photos, inbox: /srv/kontextd/inbox, outbox: /srv/kontextd/outbox, "
                + "failed: /srv/kontextd/failed, state: /srv/kontextd/state}\nignore: ['*.crdownload', '~$*']\n"
        )

        // The example spells out every default, so it must equal a file that sets only what has no default.
        var exampleWithoutOptions = example
        exampleWithoutOptions.backends = example.backends.map {
            DaemonConfiguration.Backend(name: $0.name, kind: $0.kind)
        }
        #expect(exampleWithoutOptions == minimal)
    }

    @Test(arguments: ["remove-objects", "winter-background", "ingest-web"])
    func exampleRecipeParses(name: String) throws {
        let parsed = try InstructionParser(kind: .recipe).parse(
            contentsOf: "\(exampleFolder)/recipes/\(name).recipe.yaml"
        )

        #expect(parsed.warnings.isEmpty)
        #expect(try ResolvedInstruction(parsed.instruction).passes.count == 1)
    }

    @Test func backendOptionsKeepPositions() throws {
        let configuration = try parse(
            "watches:\n  - {name: a, inbox: /i, outbox: /o, failed: /f, state: /s}\n"
                + "backends:\n  - name: comfy\n    type: comfyui\n    servers: [{address: '127.0.0.1:8188', concurrency: 2}]\n"
                + "default_backend: comfy\n"
        )

        let comfy = try #require(configuration.backend(named: "comfy"))
        #expect(comfy.kind == .comfyui)
        #expect(comfy.file == "kontextd.yaml")
        #expect(comfy.options.pairs?.map(\.name) == ["servers"])
        #expect(comfy.options.pairs?.first?.value.position == SourcePosition(line: 6, column: 14))
        #expect(comfy.comfyUI?.servers.first?.address == "127.0.0.1:8188")
        #expect(comfy.comfyUI?.servers.first?.concurrency == 2)
        #expect(configuration.backend(named: "fill")?.kind == .fill)
        #expect(configuration.defaultBackend == "comfy")
    }

    @Test func readsTheLocalBackendFilesAndDefaultsItsTokenizers() throws {
        let configuration = try DaemonConfiguration.parse(
            Array(
                ("watches:\n  - {name: a, inbox: /i, outbox: /o, failed: /f, state: /s}\n"
                    + "backends:\n  - name: cpu\n    type: local\n    transformer: /m/flux.gguf\n"
                    + "    vae: /m/ae.safetensors\n    clip_l: /m/clip_l.safetensors\n    t5xxl: /m/t5.safetensors\n"
                    + "    threads: 3\n    max_megapixels: 0.25\n").utf8
            ),
            fileName: "kontextd.yaml"
        )
        let local = try #require(configuration.backend(named: "cpu")?.local)
        #expect(local.transformer == "/m/flux.gguf")
        #expect(local.vae == "/m/ae.safetensors")
        #expect(local.clipL == "/m/clip_l.safetensors")
        #expect(local.t5xxl == "/m/t5.safetensors")
        #expect(local.threads == 3)
        #expect(local.maxMegapixels == 0.25)
        #expect(local.clipTokenizer == LocalBackendOptions.defaultCLIPTokenizer)
        #expect(local.t5Tokenizer == LocalBackendOptions.defaultT5Tokenizer)
    }

    @Test func exampleComfyUIBlockParses() throws {
        let example = try String(contentsOfFile: exampleFolder + "/kontextd.yaml", encoding: .utf8)
        var lines: [String] = []
        var inBlock = false
        for line in example.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("  # - name: comfy") { inBlock = true }
            if inBlock && !line.hasPrefix("  # ") { inBlock = false }
            lines.append(inBlock ? "  " + line.dropFirst(4) : line)
        }

        let configuration = try DaemonConfiguration.parse(Array(lines.joined(separator: "\n").utf8), fileName: "kontextd.yaml")

        let comfy = try #require(configuration.backend(named: "comfy"))
        #expect(comfy.comfyUI?.servers.map(\.address) == ["127.0.0.1:8188", "127.0.0.1:8189"])
        #expect(comfy.comfyUI?.models.vae == "ae.safetensors")
    }

    @Test func pathsAreNormalized() throws {
        let configuration = try parse(
            "watches:\n  - {name: a, inbox: /srv/in/, outbox: /srv/x/../out, failed: /f, state: /s}\n"
                + "originals: {move_to: /srv/done/}\n"
        )

        #expect(configuration.watches[0].inbox == "/srv/in")
        #expect(configuration.watches[0].outbox == "/srv/out")
        #expect(configuration.originals == .moveTo("/srv/done"))
        #expect(configuration.statusFile == "/s/status.json")
    }

    @Test func emptyFileNeedsWatches() {
        #expect(
            configurationErrorLines("") == [
                "kontextd.yaml:1:1: error: missing 'watches'; list at least one watch with name, inbox, outbox, failed and state"
            ]
        )
    }
}
