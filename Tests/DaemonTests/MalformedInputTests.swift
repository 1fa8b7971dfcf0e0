import Foundation
import Testing

/// Malformed sidecars through the running daemon, and malformed configurations through `run` and
/// `check`: each gives its exact message, and no file is lost or goes anywhere but the failed folder.
@Suite(.serialized)
struct MalformedInputTests {
    struct SidecarCase: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        /// The exact first line of the error in the report, after `What failed:`.
        var message: String

        var testDescription: String { name }
    }

    static let sidecars: [SidecarCase] = [
        SidecarCase(name: "unknown key", yaml: "prompt: x\ncolour: red\n",
                    message: "s01.yaml:2:1: error: unknown key 'colour'; valid keys are prompt, mask, size, seed, variants, seeds, steps, guidance, inpaint, images, chain, backend, output"),
        SidecarCase(name: "misspelt key", yaml: "promt: x\n",
                    message: "s02.yaml:1:1: error: unknown key 'promt'; did you mean 'prompt'?"),
        SidecarCase(name: "steps too high", yaml: "steps: 500\n",
                    message: "s03.yaml:1:8: error: invalid value '500' for 'steps': expected an integer from 1 to 100, for example 'steps: 20'"),
        SidecarCase(name: "steps as text", yaml: "steps: many\n",
                    message: "s04.yaml:1:8: error: invalid value 'many' for 'steps': expected an integer from 1 to 100, for example 'steps: 20'"),
        SidecarCase(name: "quoted number", yaml: "steps: \"20\"\n",
                    message: "s05.yaml:1:8: error: invalid value for 'steps': found the string '20'; remove the quotes to write an integer from 1 to 100, for example 'steps: 20'"),
        SidecarCase(name: "negative seed", yaml: "seed: -4\n",
                    message: "s06.yaml:1:7: error: invalid value '-4' for 'seed': expected an integer from 0 to 18446744073709551615, for example 'seed: 42'"),
        SidecarCase(name: "guidance as list", yaml: "guidance: [1, 2]\n",
                    message: "s07.yaml:1:11: error: invalid value for 'guidance': expected a number from 0 to 30, for example 'guidance: 2.5', found a list"),
        SidecarCase(name: "bad size", yaml: "size: huge\n",
                    message: "s08.yaml:1:7: error: invalid value 'huge' for 'size': expected keep, kontext, WIDTHxHEIGHT such as 1024x768, an aspect ratio such as 16:9, or a mapping with aspect, long_edge or megapixels"),
        SidecarCase(name: "size too small", yaml: "size: 8x8\n",
                    message: "s09.yaml:1:7: error: invalid value '8x8' for 'size': width and height must each be from 16 to 8192, for example '1024x768'"),
        SidecarCase(name: "variants zero", yaml: "variants: 0\n",
                    message: "s10.yaml:1:11: error: invalid value '0' for 'variants': expected an integer from 1 to 16, for example 'variants: 4'"),
        SidecarCase(name: "tab indentation", yaml: "inpaint:\n\tblend: 8\n",
                    message: "s11.yaml:2:1: error: while scanning for the next token: found character that cannot start any token; indent YAML with spaces, not tabs"),
        SidecarCase(name: "duplicate key", yaml: "prompt: a\nprompt: b\n",
                    message: "s12.yaml:2:1: error: duplicate key 'prompt' (first set at line 1); remove one of them"),
        SidecarCase(name: "not a mapping", yaml: "- prompt: x\n",
                    message: "s13.yaml:1:1: error: invalid value for the top level: expected a mapping of keys, found a list"),
        SidecarCase(name: "unclosed quote", yaml: "prompt: \"make it\n",
                    message: "s14.yaml:2:1: error: while scanning a quoted scalar (started at 1:9): found unexpected end of stream"),
        SidecarCase(name: "intake in sidecar", yaml: "intake:\n  settle: 3\n",
                    message: "s15.yaml:2:3: error: 'intake' is only allowed in a folder recipe (kontextd.recipe.yaml), because it decides when a sidecar is read; move it there"),
        SidecarCase(name: "unknown output format", yaml: "output:\n  format: gif\n",
                    message: "s16.yaml:2:11: error: invalid value 'gif' for 'output.format': expected one of same, jpeg, png, webp"),
        SidecarCase(name: "quality out of range", yaml: "output:\n  quality: 101\n",
                    message: "s17.yaml:2:12: error: invalid value '101' for 'output.quality': expected an integer from 1 to 100, for example 'quality: 90'"),
        SidecarCase(name: "unknown placeholder", yaml: "output:\n  name: \"{nme}.{ext}\"\n",
                    message: "s18.yaml:2:9: error: invalid value '{nme}.{ext}' for 'output.name': unknown placeholder '{nme}'; did you mean '{name}'?"),
        SidecarCase(name: "polygon of two points", yaml: "mask:\n  - polygon: [[0, 0], [5, 5]]\n",
                    message: "s19.yaml:2:14: error: invalid value for 'mask[1].polygon': expected a list of 3 to 1000 points such as [[0, 0], [100, 0], [50, 80]], found 2 points"),
        SidecarCase(name: "rect with three numbers", yaml: "mask:\n  - rect: [1, 2, 3]\n",
                    message: "s20.yaml:2:11: error: invalid value for 'mask[1].rect': expected [x, y, width, height] with 4 numbers from 0 to 65536, found 3 numbers"),
        SidecarCase(name: "unknown shape", yaml: "mask:\n  - circle: [1, 2, 3]\n",
                    message: "s21.yaml:2:5: error: unknown key 'circle' in 'mask[1]'; valid keys are rect, ellipse, polygon"),
        SidecarCase(name: "absolute mask path", yaml: "mask: /etc/passwd\n",
                    message: "s22.yaml:1:7: error: 'mask' is the absolute path '/etc/passwd'; write it relative to the sidecar's folder"),
        SidecarCase(name: "escaping mask path", yaml: "mask: ../../etc/shadow\n",
                    message: "s23.yaml: error: path '../../etc/shadow' leaves the inbox; name files relative to the sidecar, inside the inbox"),
        SidecarCase(name: "nested chain", yaml: "chain:\n  - chain:\n      - prompt: x\n",
                    message: "s24.yaml:2:5: error: a chain entry cannot contain another 'chain'; list every pass in the top-level chain"),
        SidecarCase(name: "empty chain", yaml: "chain: []\n",
                    message: "s25.yaml:1:8: error: 'chain' has 0 entries; expected a list of 1 to 16 instruction mappings"),
        SidecarCase(name: "seed and seeds", yaml: "seed: 1\nseeds: [2, 3]\n",
                    message: "s26.yaml:2:8: error: 'seed' and 'seeds' cannot both be set; use 'seed' with 'variants', or list every seed in 'seeds'"),
        SidecarCase(name: "blend too wide", yaml: "inpaint:\n  blend: 200\n",
                    message: "s27.yaml:2:10: error: invalid value '200' for 'inpaint.blend': expected an integer from 0 to 64, for example 'blend: 16'"),
        SidecarCase(name: "context below one", yaml: "inpaint:\n  context: 0.5\n",
                    message: "s28.yaml:2:12: error: invalid value '0.5' for 'inpaint.context': expected a number from 1 to 10, for example 'context: 1.2'"),
        SidecarCase(name: "alias bomb", yaml: "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
                    message: "s29.yaml:4:36: error: the document expands to more than 10000 nodes (aliases count once per use); simplify it or use fewer aliases"),
        SidecarCase(name: "invalid UTF-8", yaml: "prompt: caf\u{FFFD}\n",
                    message: "s30.yaml:1:12: error: invalid UTF-8 byte 0xC3; save the file as UTF-8"),
        SidecarCase(name: "unknown images direction", yaml: "images:\n  paths: [b.png]\n  direction: diagonal\n",
                    message: "s31.yaml:3:14: error: invalid value 'diagonal' for 'images.direction': expected one of right, left, down, up"),
        SidecarCase(name: "backend not a string", yaml: "backend: {name: x}\n",
                    message: "s32.yaml:1:10: error: invalid value for 'backend': expected the name of a backend in kontextd.yaml, found a mapping"),
    ]

    private func sidecarBytes(_ sidecar: SidecarCase) -> Data {
        if sidecar.name == "invalid UTF-8" {
            return Data([0x70, 0x72, 0x6F, 0x6D, 0x70, 0x74, 0x3A, 0x20, 0x63, 0x61, 0x66, 0xC3, 0x28, 0x0A])
        }
        return Data(sidecar.yaml.utf8)
    }

    @Test func malformedSidecarsFailWithExactMessages() async throws {
        let daemon = try DaemonHarness()
        try await daemon.start()
        let photo = try Data(contentsOf: URL(fileURLWithPath: DaemonHarness.photos + "/kite.jpg"))
        for (index, sidecar) in Self.sidecars.enumerated() {
            let stem = String(format: "s%02d", index + 1)
            try daemon.drop(data: sidecarBytes(sidecar), as: stem + ".yaml")
            try daemon.drop(data: photo, as: stem + ".jpg")
        }

        let count = Self.sidecars.count
        #expect(await DaemonHarness.waitUntil(timeout: 120) {
            DaemonHarness.files(under: daemon.failed).filter { $0.hasSuffix(".error.txt") }.count >= count
        }, "\(daemon.log)")
        #expect(await daemon.stop() == 0)

        let failed = DaemonHarness.files(under: daemon.failed)
        for (index, sidecar) in Self.sidecars.enumerated() {
            let stem = String(format: "s%02d", index + 1)
            let report = failed.first { $0.hasSuffix("/\(stem).jpg.error.txt") }
            #expect(report != nil, "no report for \(sidecar.name)")
            guard let report else { continue }
            let text = try String(contentsOfFile: daemon.failed + "/" + report, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let firstError = lines.drop { $0 != "What failed:" }.dropFirst().first ?? ""
            #expect(firstError == sidecar.message, "\(sidecar.name): \(firstError)")
            let folder = (report as NSString).deletingLastPathComponent
            #expect(failed.contains(folder + "/\(stem).jpg"), "\(sidecar.name): image not kept")
            #expect(failed.contains(folder + "/\(stem).yaml"), "\(sidecar.name): sidecar not kept")
        }
        #expect(DaemonHarness.files(under: daemon.inbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.outbox).isEmpty)
        #expect(DaemonHarness.files(under: daemon.state + "/processing").isEmpty)
    }

    struct ConfigurationCase: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var message: String

        var testDescription: String { name }
    }

    static let configurations: [ConfigurationCase] = [
        ConfigurationCase(name: "no watches key", yaml: "workers: 2\n",
                          message: ":1:1: error: missing 'watches'; list at least one watch with name, inbox, outbox, failed and state"),
        ConfigurationCase(name: "relative inbox", yaml: "watches:\n  - name: a\n    inbox: in\n    outbox: /tmp/o\n    failed: /tmp/f\n    state: /tmp/s\n",
                          message: ":3:12: error: 'watches[1].inbox' is 'in', which is not an absolute path; write it starting with '/'"),
        ConfigurationCase(name: "empty watches", yaml: "watches: []\n",
                          message: ":1:10: error: 'watches' is empty; expected a list of watches, each with name, inbox, outbox, failed and state"),
        ConfigurationCase(name: "workers zero", yaml: "watches: []\nworkers: 0\n",
                          message: ":2:10: error: invalid value '0' for 'workers': expected an integer from 1 to 64, for example 'workers: 2'"),
        ConfigurationCase(name: "unknown backend type", yaml: "watches: []\nbackends:\n  - name: g\n    type: gpu\n",
                          message: ":4:11: error: invalid value 'gpu' for 'backends[1].type': expected one of fill, comfyui, hosted, local"),
        ConfigurationCase(name: "bad log level", yaml: "watches: []\nlog_level: loud\n",
                          message: ":2:12: error: invalid value 'loud' for 'log_level': expected one of trace, debug, info, notice, warning, error, critical"),
    ]

    @Test(arguments: configurations)
    func malformedConfigurationStopsStartup(_ configuration: ConfigurationCase) async throws {
        let daemon = try DaemonHarness()
        try configuration.yaml.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try daemon.drop(photo: "kite.jpg", as: "waiting.jpg")

        let run = try DaemonHarness.runCommand(["run", "--config", daemon.configPath])
        let check = try DaemonHarness.runCommand(["check", "--config", daemon.configPath])

        #expect(run.status == 78)
        #expect(run.stderr.split(separator: "\n").contains { $0 == daemon.configPath + configuration.message }, "\(run.stderr)")
        #expect(check.status == 1)
        #expect(check.stdout.split(separator: "\n").contains { $0 == daemon.configPath + configuration.message }, "\(check.stdout)")
        #expect(DaemonHarness.files(under: daemon.inbox) == ["waiting.jpg"])
        #expect(DaemonHarness.files(under: daemon.failed).isEmpty)
    }
}
