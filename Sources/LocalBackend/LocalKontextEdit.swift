internal import Backends
internal import FluxEngine
internal import Foundation
internal import Imaging
internal import Recipes

/// One Kontext edit through the native engine: tokenise, encode the text, encode the reference,
/// denoise, decode. Runs on the calling thread.
struct LocalKontextEdit {
    /// Thrown from a step callback to stop the loop when the job is cancelled.
    struct Cancelled: Error {}

    /// An engine error while reading or running the file of one configuration key.
    struct FileFailure: Error {
        var key: String
        var path: String
        var underlying: any Error
    }

    var options: LocalBackendOptions
    var isCancelled: @Sendable () -> Bool
    var progress: (@Sendable (BackendProgress) -> Void)?

    /// T5 sequence length used by FLUX.1 (both BFL and diffusers pad to 512 tokens).
    static let textLength = 512

    func edit(_ request: EditRequest, prompt: String) -> Result<EditResult, BackendError> {
        var timings: [(stage: String, seconds: Double)] = []
        do {
            if let threads = options.threads { EngineThreads.configure(threads) }
            let conditioning = try timed("text encoding", into: &timings) { try encodeText(prompt) }
            try checkCancelled()
            let reference = try timed("reference encoding", into: &timings) { try encodeReference(request.image) }
            try checkCancelled()
            let output = Self.runSize(width: request.outputWidth, height: request.outputHeight, maxMegapixels: options.maxMegapixels)
            let latents = try denoise(
                request, size: output, conditioning: conditioning, reference: reference.latents, timings: &timings
            )
            try checkCancelled()
            let image = try timed("decoding", into: &timings) { try decode(latents) }
            return .success(EditResult(image: image, server: "local engine", timings: timings))
        } catch is Cancelled {
            return .failure(.transient("the local engine was stopped before the edit finished; the job can run again"))
        } catch let failure as FileFailure {
            return .failure(
                .permanent(
                    "local engine, \(failure.key) '\(failure.path)': \(failure.underlying); '\(failure.key)' must name "
                        + "the \(LocalBackendOptions.describe(failure.key))"
                )
            )
        } catch {
            return .failure(.permanent("local engine: \(error)"))
        }
    }

    private func checkCancelled() throws {
        if isCancelled() { throw Cancelled() }
    }

    private func report(_ stage: String, _ completed: Int = 1, of total: Int = 1) {
        progress?(BackendProgress(stage: stage, completed: completed, total: total))
    }

    private func timed<Value>(
        _ stage: String,
        into timings: inout [(stage: String, seconds: Double)],
        _ body: () throws -> Value
    ) rethrows -> Value {
        report(stage)
        let start = ContinuousClock.now
        let value = try body()
        timings.append((stage, seconds(since: start)))
        return value
    }

    /// Runs `body`, tagging an engine error with the configuration key whose file it concerns.
    private func using<Value>(_ key: String, _ path: String, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as EngineError {
            throw FileFailure(key: key, path: path, underlying: error)
        }
    }

    // MARK: - Stages

    /// T5 embeddings [512, 4096] and the pooled CLIP vector [768]; each encoder is dropped after use.
    private func encodeText(_ prompt: String) throws -> KontextConditioning {
        let clipTokens = try using("clip_tokenizer", options.clipTokenizer) {
            try CLIPTokenizer(directory: options.clipTokenizer).encode(prompt)
        }
        let pooled = try using("clip_l", options.clipL) {
            try CLIPTextEncoder(weights: try WeightFiles.open(path: options.clipL)).pooled(tokens: clipTokens)
        }
        try checkCancelled()
        let t5Tokens = try using("t5_tokenizer", options.t5Tokenizer) {
            try T5Tokenizer(path: options.t5Tokenizer).encode(prompt, length: Self.textLength)
        }
        let embeddings = try using("t5xxl", options.t5xxl) {
            try T5Encoder(weights: try WeightFiles.open(path: options.t5xxl)).encode(tokens: t5Tokens)
        }
        return KontextConditioning(promptEmbeddings: embeddings, pooledEmbedding: pooled)
    }

    /// Returns the size an image runs at: scaled down to `maxMegapixels` when it is larger, keeping the
    /// aspect ratio, then each side floored to a multiple of 16 (at least 16). A megapixel here is 1024²
    /// pixels, as in ComfyUI and the Kontext resolutions, so 0.25 runs a square image at 512x512.
    static func runSize(width: Int, height: Int, maxMegapixels: Double?) -> (width: Int, height: Int) {
        var scale = 1.0
        let limit = (maxMegapixels ?? .infinity) * 1024 * 1024
        if Double(width * height) > limit {
            scale = (limit / Double(width * height)).squareRoot()
        }
        let scaledWidth = Int((Double(width) * scale).rounded(.down))
        let scaledHeight = Int((Double(height) * scale).rounded(.down))
        return (max(16, scaledWidth / 16 * 16), max(16, scaledHeight / 16 * 16))
    }

    /// Encodes the reference image at its run size to scaled latents.
    private func encodeReference(_ image: Image) throws -> (latents: Tensor, width: Int, height: Int) {
        let (width, height) = Self.runSize(width: image.width, height: image.height, maxMegapixels: options.maxMegapixels)
        let sized = width == image.width && height == image.height ? image : image.resized(width: width, height: height)
        let latents = try using("vae", options.vae) {
            try FluxVAE(weights: try WeightFiles.open(path: options.vae)).encode(ImageTensors.tensor(from: sized))
        }
        return (latents, width, height)
    }

    private func denoise(
        _ request: EditRequest,
        size: (width: Int, height: Int),
        conditioning: KontextConditioning,
        reference: Tensor,
        timings: inout [(stage: String, seconds: Double)]
    ) throws -> Tensor {
        let transformer = try using("transformer", options.transformer) {
            try FluxTransformer(weights: try WeightFiles.open(path: options.transformer))
        }
        let steps = request.steps
        var stepStart = ContinuousClock.now
        var stepTimes: [Double] = []
        report("denoising", 0, of: steps)
        let denoiser = KontextDenoiser(transformer: transformer)
        let latents = try using("transformer", options.transformer) {
            try denoiser.denoise(
                conditioning: conditioning,
                reference: reference,
                width: size.width,
                height: size.height,
                steps: steps,
                guidance: Float(request.guidance),
                seed: request.seed
            ) { step, _ in
                stepTimes.append(seconds(since: stepStart))
                stepStart = ContinuousClock.now
                report("denoising", step + 1, of: steps)
                try checkCancelled()
            }
        }
        for (index, time) in stepTimes.enumerated() {
            timings.append(("denoising step \(index + 1)", time))
        }
        return latents
    }

    private func decode(_ latents: Tensor) throws -> Image {
        let pixels = try using("vae", options.vae) {
            try FluxVAE(weights: try WeightFiles.open(path: options.vae)).decode(latents)
        }
        return ImageTensors.image(from: pixels)
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
