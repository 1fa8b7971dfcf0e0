import FluxEngine
import Foundation

/// `kontextd engine denoise`: one Kontext edit on the native engine from precomputed text
/// conditioning, for checking the engine against the reference implementation.
struct EngineCommand {
    static let valued: Set<String> = [
        "--transformer", "--vae", "--reference", "--conditioning", "--width", "--height", "--steps",
        "--guidance", "--seed", "--output", "--latents-dir", "--threads", "--reference-size", "--rope-axes",
        "--vae-groups",
    ]

    var transformerPath: String
    var vaePath: String
    var referencePath: String
    var conditioningPath: String
    var width: Int
    var height: Int
    var steps: Int
    var guidance: Float
    var seed: UInt64
    var outputPath: String
    var latentsDirectory: String?
    var threads: Int?
    var referenceSize: ReferenceSize
    var ropeAxes: [Int]
    var vaeGroups: Int

    /// The sizing rule for the reference image before the VAE, one of `FluxKontextPipeline`'s two.
    enum ReferenceSize: String {
        /// The preferred Kontext size closest in aspect ratio, stretched with Lanczos (`_auto_resize=True`).
        case kontext
        /// The image's own size floored to multiples of 16 (`_auto_resize=False`).
        case keep
    }

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        guard arguments.first == "denoise" else {
            throw UsageError(
                arguments.first.map { "unknown engine command '\($0)'" } ?? "missing engine command 'denoise'",
                command: "engine"
            )
        }
        let parsed = try ParsedArguments(arguments.dropFirst(), command: "engine", valued: Self.valued, flags: [])
        if let extra = parsed.positionals.first { throw UsageError("unexpected argument '\(extra)'", command: "engine") }
        let options = Options(values: parsed.options)
        transformerPath = try options.required("--transformer")
        vaePath = try options.required("--vae")
        referencePath = try options.required("--reference")
        conditioningPath = try options.required("--conditioning")
        outputPath = try options.required("--output")
        guard outputPath.lowercased().hasSuffix(".png") else {
            throw UsageError("--output is '\(outputPath)'; the engine writes PNG, so name the file with .png", command: "engine")
        }
        width = try options.integer("--width", minimum: 16, maximum: Self.maximumSide, multipleOf: 16)
        height = try options.integer("--height", minimum: 16, maximum: Self.maximumSide, multipleOf: 16)
        steps = try options.integer("--steps", default: 28, minimum: 1, maximum: 1000)
        guidance = try options.float("--guidance", default: 2.5)
        seed = try options.seed("--seed")
        latentsDirectory = options.values["--latents-dir"]
        threads = options.values["--threads"] == nil ? nil : try options.integer("--threads", minimum: 1)
        let sizeName = options.values["--reference-size"] ?? ReferenceSize.kontext.rawValue
        guard let size = ReferenceSize(rawValue: sizeName) else {
            throw UsageError("--reference-size is '\(sizeName)'; use 'kontext' or 'keep'", command: "engine")
        }
        referenceSize = size
        ropeAxes = try options.integerList("--rope-axes", default: FluxTransformer.defaultAxesDimensions)
        vaeGroups = try options.integer("--vae-groups", default: 32, minimum: 1)
    }

    /// Sides above this would need tens of GB of activations; Kontext is trained around 1024.
    static let maximumSide = 4096

    func run() throws -> Int32 {
        // Checked before hours of compute, not after.
        let folder = (outputPath as NSString).deletingLastPathComponent
        guard access(folder.isEmpty ? "." : folder, W_OK) == 0 else {
            throw UsageError("--output is '\(outputPath)', but its folder does not exist or is not writable", command: "engine")
        }
        if let threads { EngineThreads.configure(threads) }
        let conditioning = try Self.loadConditioning(conditioningPath)
        let transformer = try FluxTransformer(weights: WeightFiles.open(path: transformerPath), axesDimensions: ropeAxes)
        let vae = try FluxVAE(weights: WeightFiles.open(path: vaePath), groups: vaeGroups)

        let reference = try Self.loadReference(referencePath, size: referenceSize)
        printError("kontextd engine: reference \(reference.shape[2])x\(reference.shape[1]), output \(width)x\(height), \(steps) steps")
        let referenceLatents = try vae.encode(reference)

        if let latentsDirectory {
            try FileManager.default.createDirectory(atPath: latentsDirectory, withIntermediateDirectories: true)
        }
        let start = Date()
        let latents = try KontextDenoiser(transformer: transformer).denoise(
            conditioning: conditioning,
            reference: referenceLatents,
            width: width,
            height: height,
            steps: steps,
            guidance: guidance,
            seed: seed
        ) { step, latents in
            let elapsed = Date().timeIntervalSince(start)
            printError("kontextd engine: step \(step + 1)/\(steps) done after \(String(format: "%.1f", elapsed)) s")
            if let directory = latentsDirectory {
                let path = directory + "/" + String(format: "step-%03d.safetensors", step)
                try SafeTensorsWriter.write(["latents": latents], to: path)
            }
        }
        let image = try vae.decode(latents)
        try Self.writePNG(image, to: outputPath)
        printError("kontextd engine: wrote \(outputPath)")
        return 0
    }
}

extension EngineCommand {
    static let help = """
        Usage: kontextd engine denoise --transformer FILE --vae FILE --reference IMAGE
                                       --conditioning FILE --width W --height H --output OUT.png [options]

        Runs one FLUX.1 Kontext [dev] edit on the CPU with the native engine, from text conditioning
        computed elsewhere, and writes the decoded image as PNG. A seed gives the same noise as
        diffusers' FluxKontextPipeline with torch.Generator("cpu").manual_seed(seed) in float32.
        The output is exactly W x H; the pipeline gives that size only with max_area=W*H, because
        by default it scales the output to about 1024x1024 at the requested aspect ratio.

        Options:
          --transformer FILE     transformer weights: safetensors (BFL, ComfyUI or diffusers names)
                                 or GGUF (BFL names, e.g. Q8_0 or Q4_K)
          --vae FILE             autoencoder weights: safetensors or GGUF, BFL or diffusers names
          --reference IMAGE      the image to edit (PNG, JPEG, WebP or HEIF)
          --conditioning FILE    .safetensors with prompt_embeds [T, 4096] (or [1, T, 4096]) and
                                 pooled_prompt_embeds [768] (or [1, 768])
          --width W, --height H  output size in pixels, multiples of 16
          --steps N              denoising steps (default 28)
          --guidance G           distilled guidance (default 2.5)
          --seed S               noise seed, 0 or more (default 0)
          --output OUT.png       where to write the image
          --latents-dir DIR      also write the latents after each step as DIR/step-NNN.safetensors
          --threads N            CPU threads for OpenBLAS and the engine (default: all cores)
          --reference-size MODE  kontext (default): stretch to the preferred Kontext size nearest in
                                 aspect ratio; keep: the image's size floored to multiples of 16
          --rope-axes A,B,C      RoPE dimensions per position axis (default 16,56,56); for test models
          --vae-groups N         GroupNorm groups of the VAE (default 32); for test models
        """
}
