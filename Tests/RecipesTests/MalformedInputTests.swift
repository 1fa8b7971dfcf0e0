import Testing

@testable import Recipes

/// One broken sidecar, recipe or configuration with the exact diagnostics it must produce.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    enum Kind: Sendable {
        case sidecar, recipe, configuration
    }

    let id: String
    let kind: Kind
    let text: String
    let expected: [String]

    init(_ id: String, _ kind: Kind = .sidecar, _ text: String, _ expected: String...) {
        self.id = id
        self.kind = kind
        self.text = text
        self.expected = expected
    }

    var testDescription: String { id }

    var file: String {
        switch kind {
        case .sidecar: "photo.yaml"
        case .recipe: "kontextd.recipe.yaml"
        case .configuration: "kontextd.yaml"
        }
    }

    func diagnostics() -> [String] {
        switch kind {
        case .sidecar: errorLines(text, kind: .sidecar, file: file)
        case .recipe: errorLines(text, kind: .recipe, file: file)
        case .configuration: configurationErrorLines(text, file: file)
        }
    }
}

/// A valid watch list for configuration cases that break something else.
private let watches = """
    watches:
      - {name: photos, inbox: /srv/in, outbox: /srv/out, failed: /srv/failed, state: /srv/state}

    """

struct MalformedInputTests {
    static let yamlCases: [MalformedCase] = [
        MalformedCase(
            "tab in indentation",
            .sidecar,
            "prompt: a\n\tsteps: 3\n",
            "photo.yaml:2:1: error: while scanning a plain scalar (started at 1:9): found a tab character that "
                + "violates indentation; indent YAML with spaces, not tabs"
        ),
        MalformedCase(
            "tab before a list item",
            .sidecar,
            "images:\n\t- b.png\n",
            "photo.yaml:2:1: error: while scanning for the next token: found character that cannot start any token; "
                + "indent YAML with spaces, not tabs"
        ),
        MalformedCase(
            "unterminated quote",
            .sidecar,
            "prompt: \"make it snow\n",
            "photo.yaml:2:1: error: while scanning a quoted scalar (started at 1:9): found unexpected end of stream"
        ),
        MalformedCase(
            "unclosed flow list",
            .sidecar,
            "seeds: [1, 2\n",
            "photo.yaml:2:1: error: while parsing a flow sequence (started at 1:8): did not find expected ',' or ']'"
        ),
        MalformedCase(
            "duplicate key",
            .sidecar,
            "steps: 20\nprompt: a\nsteps: 30\n",
            "photo.yaml:3:1: error: duplicate key 'steps' (first set at line 1); remove one of them"
        ),
        MalformedCase(
            "duplicate nested key",
            .recipe,
            "output:\n  format: png\n  format: jpeg\n",
            "kontextd.recipe.yaml:3:3: error: duplicate key 'format' (first set at line 2); remove one of them"
        ),
        MalformedCase(
            "second document",
            .sidecar,
            "prompt: a\n---\nprompt: b\n",
            "photo.yaml:2:1: error: a second YAML document ('---') is not allowed; put everything in one document"
        ),
        MalformedCase(
            "list at top level",
            .sidecar,
            "- prompt: a\n",
            "photo.yaml:1:1: error: invalid value for the top level: expected a mapping of keys, found a list"
        ),
        MalformedCase(
            "text at top level",
            .recipe,
            "make it snow\n",
            "kontextd.recipe.yaml:1:1: error: invalid value for the top level: expected a mapping of keys, "
                + "found 'make it snow'"
        ),
        MalformedCase(
            "undefined alias",
            .sidecar,
            "steps: *many\n",
            "photo.yaml:1:8: error: alias '*many' refers to an anchor '&many' that is not defined before it"
        ),
        MalformedCase(
            "custom tag",
            .sidecar,
            "prompt: !shout hello\n",
            "photo.yaml:1:9: error: unsupported tag '!shout'; remove it"
        ),
        MalformedCase(
            "list as key",
            .sidecar,
            "? [a, b]\n: c\n",
            "photo.yaml:1:3: error: a mapping key must be a scalar such as 'prompt', not a list or mapping"
        ),
    ]

    static let instructionCases: [MalformedCase] = [
        MalformedCase(
            "misspelt key",
            .sidecar,
            "promt: snow\n",
            "photo.yaml:1:1: error: unknown key 'promt'; did you mean 'prompt'?"
        ),
        MalformedCase(
            "unknown key without suggestion",
            .sidecar,
            "style: noir\n",
            "photo.yaml:1:1: error: unknown key 'style'; valid keys are prompt, mask, size, seed, variants, seeds, "
                + "steps, guidance, inpaint, images, chain, backend, output"
        ),
        MalformedCase(
            "camel case key",
            .sidecar,
            "output:\n  keepMetadata: false\n",
            "photo.yaml:2:3: error: unknown key 'keepMetadata' in 'output'; did you mean 'keep_metadata'?"
        ),
        MalformedCase(
            "quoted integer",
            .sidecar,
            "steps: \"20\"\n",
            "photo.yaml:1:8: error: invalid value for 'steps': found the string '20'; remove the quotes to write "
                + "an integer from 1 to 100, for example 'steps: 20'"
        ),
        MalformedCase(
            "steps zero",
            .sidecar,
            "steps: 0\n",
            "photo.yaml:1:8: error: invalid value '0' for 'steps': expected an integer from 1 to 100, for example 'steps: 20'"
        ),
        MalformedCase(
            "steps fraction",
            .sidecar,
            "steps: 20.5\n",
            "photo.yaml:1:8: error: invalid value '20.5' for 'steps': expected an integer from 1 to 100, "
                + "for example 'steps: 20'"
        ),
        MalformedCase(
            "guidance too high",
            .recipe,
            "guidance: 31\n",
            "kontextd.recipe.yaml:1:11: error: invalid value '31' for 'guidance': expected a number from 0 to 30, "
                + "for example 'guidance: 2.5'"
        ),
        MalformedCase(
            "negative seed",
            .sidecar,
            "seed: -1\n",
            "photo.yaml:1:7: error: invalid value '-1' for 'seed': expected an integer from 0 to 18446744073709551615, "
                + "for example 'seed: 42'"
        ),
        MalformedCase(
            "too many variants",
            .sidecar,
            "variants: 17\n",
            "photo.yaml:1:11: error: invalid value '17' for 'variants': expected an integer from 1 to 16, "
                + "for example 'variants: 4'"
        ),
        MalformedCase(
            "seed and seeds",
            .sidecar,
            "seed: 1\nseeds: [2, 3]\n",
            "photo.yaml:2:8: error: 'seed' and 'seeds' cannot both be set; use 'seed' with 'variants', "
                + "or list every seed in 'seeds'"
        ),
        MalformedCase(
            "variants disagree with seeds",
            .sidecar,
            "variants: 3\nseeds: [1, 2]\n",
            "photo.yaml:1:11: error: 'variants' is 3 but 'seeds' lists 2; remove 'variants' or make them agree"
        ),
        MalformedCase(
            "bad seed in list",
            .sidecar,
            "seeds: [1, x]\n",
            "photo.yaml:1:12: error: invalid value 'x' for 'seeds[2]': expected an integer from 0 to "
                + "18446744073709551615, for example 'seed: 42'"
        ),
        MalformedCase(
            "empty prompt",
            .sidecar,
            "prompt: \"  \"\n",
            "photo.yaml:1:9: error: 'prompt' is empty; expected the edit instruction as text"
        ),
        MalformedCase(
            "prompt without value",
            .sidecar,
            "prompt:\nsteps: 20\n",
            "photo.yaml:1:8: error: 'prompt' has no value; expected the edit instruction as text"
        ),
        MalformedCase(
            "absolute mask",
            .sidecar,
            "mask: /etc/shadow\n",
            "photo.yaml:1:7: error: 'mask' is the absolute path '/etc/shadow'; write it relative to the sidecar's folder"
        ),
        MalformedCase(
            "mask file in recipe",
            .recipe,
            "mask: masks/logo.png\n",
            "kontextd.recipe.yaml:1:7: error: a recipe cannot name a mask file, because every image in an inbox "
                + "becomes a job of its own; use 'alpha' or shapes here, or name the mask in each sidecar"
        ),
        MalformedCase(
            "mask with two sources",
            .sidecar,
            "mask:\n  alpha: true\n  file: m.png\n",
            "photo.yaml:2:3: error: 'mask' needs exactly one of 'file', 'alpha' or 'shapes', found 'file' and 'alpha'"
        ),
        MalformedCase(
            "alpha false",
            .sidecar,
            "mask: {alpha: false}\n",
            "photo.yaml:1:15: error: 'mask.alpha' can only be true; remove the mask to edit the whole image"
        ),
        MalformedCase(
            "yes is not a boolean",
            .sidecar,
            "mask: {alpha: true, invert: yes}\n",
            "photo.yaml:1:29: error: invalid value 'yes' for 'mask.invert': expected true or false"
        ),
        MalformedCase(
            "rect with three numbers",
            .sidecar,
            "mask:\n  shapes:\n    - rect: [1, 2, 3]\n",
            "photo.yaml:3:13: error: invalid value for 'mask.shapes[1].rect': expected [x, y, width, height] "
                + "with 4 numbers from 0 to 65536, found 3 numbers"
        ),
        MalformedCase(
            "rect with zero width",
            .sidecar,
            "mask:\n  - rect: [10, 10, 0, 5]\n",
            "photo.yaml:2:5: error: 'mask[1].rect' has a zero size; its last two numbers must be greater than 0"
        ),
        MalformedCase(
            "polygon with two points",
            .sidecar,
            "mask:\n  - polygon: [[0, 0], [1, 1]]\n",
            "photo.yaml:2:14: error: invalid value for 'mask[1].polygon': expected a list of 3 to 1000 points "
                + "such as [[0, 0], [100, 0], [50, 80]], found 2 points"
        ),
        MalformedCase(
            "unknown shape",
            .sidecar,
            "mask:\n  - circle: [1, 2, 3]\n",
            "photo.yaml:2:5: error: unknown key 'circle' in 'mask[1]'; valid keys are rect, ellipse, polygon"
        ),
        MalformedCase(
            "size too large",
            .sidecar,
            "size: 20000x100\n",
            "photo.yaml:1:7: error: invalid value '20000x100' for 'size': width and height must each be from 16 "
                + "to 8192, for example '1024x768'"
        ),
        MalformedCase(
            "size word",
            .sidecar,
            "size: huge\n",
            "photo.yaml:1:7: error: invalid value 'huge' for 'size': expected keep, kontext, WIDTHxHEIGHT such as "
                + "1024x768, an aspect ratio such as 16:9, or a mapping with aspect, long_edge or megapixels"
        ),
        MalformedCase(
            "megapixels with long edge",
            .sidecar,
            "size: {megapixels: 1, long_edge: 1024}\n",
            "photo.yaml:1:20: error: 'size.megapixels' cannot be combined with 'aspect' or 'long_edge'"
        ),
        MalformedCase(
            "aspect with zero",
            .sidecar,
            "size: {aspect: \"0:9\"}\n",
            "photo.yaml:1:16: error: invalid aspect ratio '0:9' for 'size.aspect': both terms must be from 1 to "
                + "1000, for example '16:9'"
        ),
        MalformedCase(
            "inpaint context below one",
            .sidecar,
            "inpaint: {context: 0.5}\n",
            "photo.yaml:1:20: error: invalid value '0.5' for 'inpaint.context': expected a number from 1 to 10, "
                + "for example 'context: 1.2'"
        ),
        MalformedCase(
            "inpaint blend too wide",
            .recipe,
            "inpaint:\n  blend: 65\n",
            "kontextd.recipe.yaml:2:10: error: invalid value '65' for 'inpaint.blend': expected an integer from 0 "
                + "to 64, for example 'blend: 16'"
        ),
        MalformedCase(
            "images in recipe",
            .recipe,
            "images: [a.png]\n",
            "kontextd.recipe.yaml:1:9: error: a recipe cannot name images to stitch, because every image in an "
                + "inbox becomes a job of its own; list them in the sidecar"
        ),
        MalformedCase(
            "stitch direction",
            .sidecar,
            "images:\n  paths: [b.png]\n  direction: diagonal\n",
            "photo.yaml:3:14: error: invalid value 'diagonal' for 'images.direction': expected one of right, "
                + "left, down, up"
        ),
        MalformedCase(
            "stitch without paths",
            .sidecar,
            "images: {direction: left}\n",
            "photo.yaml:1:9: error: 'images' needs 'paths', the list of images to stitch"
        ),
        MalformedCase(
            "nested chain",
            .sidecar,
            "chain:\n  - prompt: a\n    chain: [{prompt: b}]\n",
            "photo.yaml:3:5: error: a chain entry cannot contain another 'chain'; list every pass in the top-level chain"
        ),
        MalformedCase(
            "output in chain entry",
            .sidecar,
            "chain:\n  - prompt: a\n  - output: {format: png}\n",
            "photo.yaml:3:5: error: 'output' cannot be set in a chain entry; set it at the top level, "
                + "where it applies to the whole job"
        ),
        MalformedCase(
            "chain too long",
            .sidecar,
            "chain: [" + Array(repeating: "{prompt: a}", count: 17).joined(separator: ", ") + "]\n",
            "photo.yaml:1:8: error: 'chain' has 17 entries; expected a list of 1 to 16 instruction mappings"
        ),
        MalformedCase(
            "output format",
            .sidecar,
            "output: {format: gif}\n",
            "photo.yaml:1:18: error: invalid value 'gif' for 'output.format': expected one of same, jpeg, png, webp"
        ),
        MalformedCase(
            "output quality",
            .recipe,
            "output:\n  quality: 0\n",
            "kontextd.recipe.yaml:2:12: error: invalid value '0' for 'output.quality': expected an integer from 1 "
                + "to 100, for example 'quality: 90'"
        ),
        MalformedCase(
            "template placeholder",
            .sidecar,
            "output:\n  name: '{name}-{varient}.{ext}'\n",
            "photo.yaml:2:9: error: invalid value '{name}-{varient}.{ext}' for 'output.name': unknown placeholder "
                + "'{varient}'; did you mean '{variant}'?"
        ),
        MalformedCase(
            "template with folder",
            .sidecar,
            "output: {name: 'out/{name}.{ext}'}\n",
            "photo.yaml:1:16: error: invalid value 'out/{name}.{ext}' for 'output.name': a file name cannot "
                + "contain '/'; outputs go to the outbox folder"
        ),
        MalformedCase(
            "variants share a name",
            .sidecar,
            "variants: 4\noutput: {name: '{name}-x.{ext}'}\n",
            "photo.yaml:2:16: error: output name '{name}-x.{ext}' gives all 4 variants the same name; "
                + "add {variant} or {seed}"
        ),
        MalformedCase(
            "intake in sidecar",
            .sidecar,
            "intake:\n  settle: 3\n",
            "photo.yaml:2:3: error: 'intake' is only allowed in a folder recipe (kontextd.recipe.yaml), because it "
                + "decides when a sidecar is read; move it there"
        ),
        MalformedCase(
            "intake settle negative",
            .recipe,
            "intake: {settle: -1}\n",
            "kontextd.recipe.yaml:1:18: error: invalid value '-1' for 'intake.settle': expected a number from 0 "
                + "to 3600, for example 'settle: 2'"
        ),
        MalformedCase(
            "several problems at once",
            .sidecar,
            "steps: 0\nguidance: x\npromt: a\n",
            "photo.yaml:1:8: error: invalid value '0' for 'steps': expected an integer from 1 to 100, "
                + "for example 'steps: 20'",
            "photo.yaml:2:11: error: invalid value 'x' for 'guidance': expected a number from 0 to 30, "
                + "for example 'guidance: 2.5'",
            "photo.yaml:3:1: error: unknown key 'promt'; did you mean 'prompt'?"
        ),
    ]

    static let configurationCases: [MalformedCase] = [
        MalformedCase(
            "missing watches",
            .configuration,
            "workers: 2\n",
            "kontextd.yaml:1:1: error: missing 'watches'; list at least one watch with name, inbox, outbox, "
                + "failed and state"
        ),
        MalformedCase(
            "relative inbox",
            .configuration,
            "watches:\n  - {name: a, inbox: srv/in, outbox: /o, failed: /f, state: /s}\n",
            "kontextd.yaml:2:22: error: 'watches[1].inbox' is 'srv/in', which is not an absolute path; "
                + "write it starting with '/'"
        ),
        MalformedCase(
            "outbox inside inbox",
            .configuration,
            "watches:\n  - name: a\n    inbox: /srv/in\n    outbox: /srv/in/out\n    failed: /f\n    state: /s\n",
            "kontextd.yaml:4:13: error: 'watches[1].outbox' '/srv/in/out' lies inside the inbox '/srv/in', so the "
                + "daemon would read its own files as new jobs; move it outside the inbox"
        ),
        MalformedCase(
            "outbox is failed folder",
            .configuration,
            "watches:\n  - {name: a, inbox: /in, outbox: /out, failed: /out/, state: /s}\n",
            "kontextd.yaml:2:5: error: 'watches[1]' uses one folder for more than one of outbox, failed and state; "
                + "give each its own folder"
        ),
        MalformedCase(
            "watch missing keys",
            .configuration,
            "watches:\n  - {name: a, inbox: /in}\n",
            "kontextd.yaml:2:5: error: 'watches[1]' is missing 'outbox', 'failed', 'state'; every watch needs "
                + "name, inbox, outbox, failed and state"
        ),
        MalformedCase(
            "duplicate watch name",
            .configuration,
            watches + "  - {name: photos, inbox: /b/in, outbox: /b/out, failed: /b/f, state: /b/s}\n",
            "kontextd.yaml:3:5: error: duplicate watch name 'photos' (first used at line 2); give each watch its own name"
        ),
        MalformedCase(
            "nested inboxes",
            .configuration,
            watches + "  - {name: raw, inbox: /srv/in/raw, outbox: /b/out, failed: /b/f, state: /b/s}\n",
            "kontextd.yaml:3:5: error: inbox '/srv/in/raw' of watch 'raw' overlaps inbox '/srv/in' of watch "
                + "'photos'; inboxes must not contain each other"
        ),
        MalformedCase(
            "workers out of range",
            .configuration,
            watches + "workers: 65\n",
            "kontextd.yaml:3:10: error: invalid value '65' for 'workers': expected an integer from 1 to 64, "
                + "for example 'workers: 2'"
        ),
        MalformedCase(
            "max wait below settle",
            .configuration,
            watches + "settle: 10\nmax_wait: 5\n",
            "kontextd.yaml:4:11: error: 'max_wait' (5 s) must be longer than 'settle' (10 s), or no file could ever settle"
        ),
        MalformedCase(
            "originals word",
            .configuration,
            watches + "originals: archive\n",
            "kontextd.yaml:3:12: error: invalid value 'archive' for 'originals': expected keep, delete, or a mapping "
                + "such as '{move_to: /srv/kontextd/originals}'"
        ),
        MalformedCase(
            "originals into inbox",
            .configuration,
            watches + "originals: {move_to: /srv/in/done}\n",
            "kontextd.yaml:3:22: error: 'originals.move_to' '/srv/in/done' lies inside the inbox of watch 'photos', "
                + "where originals would become jobs again; choose a folder outside every inbox"
        ),
        MalformedCase(
            "log level",
            .configuration,
            watches + "log_level: verbose\n",
            "kontextd.yaml:3:12: error: invalid value 'verbose' for 'log_level': expected one of trace, debug, info, "
                + "notice, warning, error, critical"
        ),
        MalformedCase(
            "retry delays reversed",
            .configuration,
            watches + "retry:\n  initial_delay: 60\n  max_delay: 30\n",
            "kontextd.yaml:5:14: error: 'retry.max_delay' (30 s) is shorter than 'retry.initial_delay' (60 s); "
                + "raise max_delay"
        ),
        MalformedCase(
            "backend type",
            .configuration,
            watches + "backends:\n  - {name: gpu, type: cuda}\n",
            "kontextd.yaml:4:23: error: invalid value 'cuda' for 'backends[1].type': expected one of fill, comfyui, "
                + "hosted, local"
        ),
        MalformedCase(
            "backend without type",
            .configuration,
            watches + "backends:\n  - name: gpu\n",
            "kontextd.yaml:4:5: error: 'backends[1]' is missing 'type'; every backend needs a name and a type"
        ),
        MalformedCase(
            "comfyui without servers",
            .configuration,
            watches + "backends:\n  - {name: gpu, type: comfyui}\n",
            "kontextd.yaml:4:5: error: 'backends[1]' has no 'servers'; list at least one ComfyUI server such as "
                + "'127.0.0.1:8188'"
        ),
        MalformedCase(
            "comfyui binding without input",
            .configuration,
            watches
                + "backends:\n  - name: gpu\n    type: comfyui\n    servers: [127.0.0.1:8188]\n"
                + "    workflow: /w.json\n    bindings: {image: '12', output: '9'}\n",
            "kontextd.yaml:8:23: error: invalid value '12' for 'backends[1].bindings.image': expected NODE.INPUT such "
                + "as '6.text' (node id, dot, input name)"
        ),
        MalformedCase(
            "comfyui relative workflow",
            .configuration,
            watches
                + "backends:\n  - name: gpu\n    type: comfyui\n    servers: [127.0.0.1:8188]\n"
                + "    workflow: w.json\n    bindings: {image: '1.image', output: '9'}\n",
            "kontextd.yaml:7:15: error: 'backends[1].workflow' is 'w.json', which is not an absolute path; write it "
                + "starting with '/'"
        ),
        MalformedCase(
            "local backend without a transformer",
            .configuration,
            watches
                + "backends:\n  - name: cpu\n    type: local\n    vae: /m/ae.safetensors\n"
                + "    clip_l: /m/clip_l.safetensors\n    t5xxl: /m/t5.gguf\n",
            "kontextd.yaml:4:5: error: 'backends[1]' has no 'transformer'; give the absolute path of the Flux "
                + "Kontext transformer (safetensors or GGUF)"
        ),
        MalformedCase(
            "local backend relative weights",
            .configuration,
            watches
                + "backends:\n  - name: cpu\n    type: local\n    transformer: flux.gguf\n    vae: /m/ae.safetensors\n"
                + "    clip_l: /m/clip_l.safetensors\n    t5xxl: /m/t5.gguf\n",
            "kontextd.yaml:6:18: error: 'backends[1].transformer' is 'flux.gguf', which is not an absolute path; "
                + "write it starting with '/'"
        ),
        MalformedCase(
            "local backend zero threads",
            .configuration,
            watches
                + "backends:\n  - name: cpu\n    type: local\n    transformer: /m/f.gguf\n    vae: /m/ae.safetensors\n"
                + "    clip_l: /m/clip_l.safetensors\n    t5xxl: /m/t5.gguf\n    threads: 0\n",
            "kontextd.yaml:10:14: error: invalid value '0' for 'backends[1].threads': expected an integer from 1 "
                + "to 1024, for example 'threads: 2'"
        ),
        MalformedCase(
            "fill backend with options",
            .configuration,
            watches + "backends:\n  - {name: quick, type: fill, servers: [a]}\n",
            "kontextd.yaml:4:31: error: unknown key 'servers' in 'backends[1]'; valid keys are name, type"
        ),
        MalformedCase(
            "default backend misspelt",
            .configuration,
            watches + "backends:\n  - {name: comfy, type: fill}\ndefault_backend: comfyy\n",
            "kontextd.yaml:5:18: error: 'default_backend' is 'comfyy', which is not a configured backend; "
                + "did you mean 'comfy'?"
        ),
        MalformedCase(
            "unknown configuration key",
            .configuration,
            watches + "worker: 4\n",
            "kontextd.yaml:3:1: error: unknown key 'worker'; did you mean 'workers'?"
        ),
    ]

    @Test(arguments: yamlCases)
    func yamlSyntax(_ testCase: MalformedCase) {
        #expect(testCase.diagnostics() == testCase.expected)
    }

    @Test(arguments: instructionCases)
    func instructionSchema(_ testCase: MalformedCase) {
        #expect(testCase.diagnostics() == testCase.expected)
    }

    @Test(arguments: configurationCases)
    func configurationSchema(_ testCase: MalformedCase) {
        #expect(testCase.diagnostics() == testCase.expected)
    }
}
