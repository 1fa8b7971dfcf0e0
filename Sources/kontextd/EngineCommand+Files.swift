import FluxEngine
import Foundation
import Imaging

extension EngineCommand {
    /// Reads `prompt_embeds` [T, context] (or [1, T, context]) and `pooled_prompt_embeds` [pooled]
    /// (or [1, pooled]).
    static func loadConditioning(_ path: String) throws -> KontextConditioning {
        let file = try SafeTensorsFile(path: path)
        for name in ["prompt_embeds", "pooled_prompt_embeds"] where !file.contains(name) {
            throw EngineError.invalidArgument(
                "conditioning file '\(path)' has no tensor '\(name)'; it needs prompt_embeds [T, context] and pooled_prompt_embeds [pooled]"
            )
        }
        let prompt = try file.load("prompt_embeds")
        let pooled = try file.load("pooled_prompt_embeds")
        guard prompt.rank == 2 || (prompt.rank == 3 && prompt.shape[0] == 1) else {
            throw EngineError.unexpectedShape(name: "prompt_embeds", expected: [-1, -1], found: prompt.shape)
        }
        guard pooled.rank == 1 || (pooled.rank == 2 && pooled.shape[0] == 1) else {
            throw EngineError.unexpectedShape(name: "pooled_prompt_embeds", expected: [-1], found: pooled.shape)
        }
        return KontextConditioning(
            promptEmbeddings: prompt.reshaped([prompt.rowCount, prompt.rowLength]),
            pooledEmbedding: pooled.reshaped([pooled.count])
        )
    }

    /// Decodes the reference image, sizes it as `FluxKontextPipeline` does and returns it as
    /// [3, H, W] in [-1, 1].
    static func loadReference(_ path: String, size: ReferenceSize) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.unreadableFile(path: path, reason: "the reference image cannot be opened; check --reference")
        }
        var image = try ImageDecoder.decode([UInt8](data)).image.converted(to: .rgb)
        let target: (width: Int, height: Int)
        switch size {
        case .kontext:
            target = KontextResolution.nearest(width: image.width, height: image.height)
        case .keep:
            target = (image.width / 16 * 16, image.height / 16 * 16)
            guard target.width > 0, target.height > 0 else {
                throw EngineError.invalidArgument(
                    "reference image '\(path)' is \(image.width)x\(image.height); with --reference-size keep it must be at least 16x16"
                )
            }
        }
        // The pipeline stretches to the target size; it does not crop.
        image = image.resized(width: target.width, height: target.height, filter: .lanczos3)
        return tensor(from: image)
    }

    /// Converts RGB bytes to [3, H, W] floats as diffusers' `VaeImageProcessor`: v/255·2 − 1.
    static func tensor(from image: Image) -> Tensor {
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: 3 * plane)
        for pixel in 0..<plane {
            for channel in 0..<3 {
                values[channel * plane + pixel] = Float(image.pixels[pixel * 3 + channel]) / 255 * 2 - 1
            }
        }
        return Tensor(shape: [3, image.height, image.width], storage: values)
    }

    /// Converts [3, H, W] in [-1, 1] to RGB bytes as diffusers' `postprocess` and `numpy_to_pil`:
    /// clamp(x/2 + 0.5, 0, 1)·255, rounded half to even.
    static func image(from tensor: Tensor) -> Image {
        let (height, width) = (tensor.shape[1], tensor.shape[2])
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        for pixel in 0..<plane {
            for channel in 0..<3 {
                let unit = min(max(tensor.storage[channel * plane + pixel] / 2 + 0.5, 0), 1)
                pixels[pixel * 3 + channel] = UInt8((unit * 255).rounded(.toNearestOrEven))
            }
        }
        return Image(width: width, height: height, layout: .rgb, pixels: pixels)
    }

    static func writePNG(_ tensor: Tensor, to path: String) throws {
        let bytes = try ImageEncoder.encode(image(from: tensor), options: EncodeOptions(format: .png))
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw EngineError.invalidArgument("cannot write '\(path)'; check --output and that its folder exists and is writable")
        }
    }
}

/// Typed access to the command's option values, with errors that name the flag.
struct Options {
    var values: [String: String]

    func required(_ name: String) throws(UsageError) -> String {
        guard let value = values[name], !value.isEmpty else { throw UsageError("missing \(name)", command: "engine") }
        return value
    }

    func integer(
        _ name: String,
        default fallback: Int? = nil,
        minimum: Int,
        maximum: Int = .max,
        multipleOf step: Int = 1
    ) throws(UsageError) -> Int {
        guard let text = values[name] else {
            if let fallback { return fallback }
            throw UsageError("missing \(name)", command: "engine")
        }
        guard let value = Int(text), value >= minimum, value <= maximum, value % step == 0 else {
            let range = maximum == .max ? "at least \(minimum)" : "from \(minimum) to \(maximum)"
            let rule = step > 1 ? "a multiple of \(step), \(range)" : "an integer \(maximum == .max ? "of " : "")\(range)"
            throw UsageError("\(name) is '\(text)'; use \(rule)", command: "engine")
        }
        return value
    }

    func float(_ name: String, default fallback: Float) throws(UsageError) -> Float {
        guard let text = values[name] else { return fallback }
        guard let value = Float(text), value.isFinite else {
            throw UsageError("\(name) is '\(text)'; use a number such as 2.5", command: "engine")
        }
        return value
    }

    func seed(_ name: String) throws(UsageError) -> UInt64 {
        guard let text = values[name] else { return 0 }
        guard let value = UInt64(text) else {
            throw UsageError("\(name) is '\(text)'; use a non-negative integer", command: "engine")
        }
        return value
    }

    func integerList(_ name: String, default fallback: [Int]) throws(UsageError) -> [Int] {
        guard let text = values[name] else { return fallback }
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw UsageError("\(name) is '\(text)'; use comma-separated positive integers such as 16,56,56", command: "engine")
        }
        return parts.compactMap { $0 }
    }
}
