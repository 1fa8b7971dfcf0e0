/// The values one job puts into a graph.
struct ComfyUIJobValues: Sendable {
    /// The uploaded image as `LoadImage` reads it: `subfolder/name`.
    var imagePath: String
    var maskPath: String?
    var prompt: String
    var seed: UInt64
    var steps: Int
    var guidance: Double
    var width: Int
    var height: Int
    /// The sampler draws a new latent of `width`×`height` instead of sampling at the reference size.
    var usesCustomSize: Bool
    /// A prefix unique to this job, so `SaveImage` writes new files instead of matching an old run.
    var filenamePrefix: String
}

/// The built-in Flux Kontext edit graph in ComfyUI's API format.
///
/// The settings are those of ComfyUI's Flux Kontext edit template. `FluxKontextImageScale` picks
/// a Kontext size of about 1 MP, and the encoded reference goes through `ReferenceLatent`.
/// `FluxGuidance` sets the guidance (2.5 by default). The negative is `ConditioningZeroOut` of the
/// prompt, which CFG 1 never evaluates but `KSampler` requires. `KSampler` runs euler / simple at
/// CFG 1 and denoise 1.
enum KontextGraph {
    /// The id of the `SaveImage` node whose images are the job's output.
    static let outputNode = "13"

    static func make(models: KontextModelFiles, values: ComfyUIJobValues) -> JSONValue {
        var nodes: [String: JSONValue] = [:]
        nodes["1"] = loaderNode(models)
        nodes["2"] = clipLoaderNode(models)
        nodes["3"] = node("VAELoader", ["vae_name": .string(models.vae)])
        nodes["4"] = node("LoadImage", ["image": .string(values.imagePath)])
        nodes["5"] = node("FluxKontextImageScale", ["image": link("4")])
        nodes["6"] = node("VAEEncode", ["pixels": link("5"), "vae": link("3")])
        nodes["7"] = node("CLIPTextEncode", ["text": .string(values.prompt), "clip": link("2")])
        nodes["8"] = node("ReferenceLatent", ["conditioning": link("7"), "latent": link("6")])
        nodes["9"] = node("FluxGuidance", ["conditioning": link("8"), "guidance": .double(values.guidance)])
        nodes["10"] = node("ConditioningZeroOut", ["conditioning": link("7")])
        nodes["11"] = node(
            "KSampler",
            [
                "model": link("1"), "seed": .number(values.seed), "steps": .integer(Int64(values.steps)),
                "cfg": .double(1), "sampler_name": .string("euler"), "scheduler": .string("simple"),
                "positive": link("9"), "negative": link("10"),
                "latent_image": values.usesCustomSize ? link("14") : link("6"), "denoise": .double(1),
            ]
        )
        nodes["12"] = node("VAEDecode", ["samples": link("11"), "vae": link("3")])
        nodes[outputNode] = node(
            "SaveImage",
            ["images": link("12"), "filename_prefix": .string(values.filenamePrefix)]
        )
        if values.usesCustomSize {
            // EmptySD3LatentImage takes multiples of 16; the pipeline resizes the result to the exact size.
            nodes["14"] = node(
                "EmptySD3LatentImage",
                [
                    "width": .integer(Int64(roundToMultipleOf16(values.width))),
                    "height": .integer(Int64(roundToMultipleOf16(values.height))),
                    "batch_size": .integer(1),
                ]
            )
        }
        return .object(nodes)
    }

    private static func loaderNode(_ models: KontextModelFiles) -> JSONValue {
        switch models.format {
        case .safetensors:
            node(
                "UNETLoader",
                ["unet_name": .string(models.diffusionModel), "weight_dtype": .string(models.weightDType)]
            )
        case .gguf:
            node("UnetLoaderGGUF", ["unet_name": .string(models.diffusionModel)])
        }
    }

    private static func clipLoaderNode(_ models: KontextModelFiles) -> JSONValue {
        switch models.format {
        case .safetensors:
            node(
                "DualCLIPLoader",
                [
                    "clip_name1": .string(models.clipL), "clip_name2": .string(models.t5),
                    "type": .string("flux"), "device": .string("default"),
                ]
            )
        case .gguf:
            // DualCLIPLoaderGGUF has no `device` input.
            node(
                "DualCLIPLoaderGGUF",
                ["clip_name1": .string(models.clipL), "clip_name2": .string(models.t5), "type": .string("flux")]
            )
        }
    }

    static func roundToMultipleOf16(_ value: Int) -> Int {
        max(16, (value + 8) / 16 * 16)
    }

    static func node(_ classType: String, _ inputs: [String: JSONValue]) -> JSONValue {
        .object(["class_type": .string(classType), "inputs": .object(inputs)])
    }

    /// Makes a link to output slot `slot` of node `id`, written `["id", slot]` in API format.
    static func link(_ id: String, slot: Int = 0) -> JSONValue {
        .array([.string(id), .integer(Int64(slot))])
    }
}
