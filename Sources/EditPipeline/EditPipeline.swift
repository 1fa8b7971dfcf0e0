public import Backends
public import DaemonSupport
import Foundation
import Imaging
public import Recipes

/// The stages of one edit job, from the claimed files to encoded outputs and the job log.
///
/// The pipeline is the same for every backend: decode and orient, build the mask, scale or crop,
/// call the backend for the generative step, stitch back, resize to the requested size, encode.
/// It writes nothing; `JobDelivery` puts the results and the log in place.
public struct EditPipeline: Sendable {
    public let backends: BackendRegistry
    public let settings: PipelineSettings
    public let logger: Logger
    /// Receives a job's backend progress (job id, progress) while its generative step runs.
    public let progress: (@Sendable (String, BackendProgress) -> Void)?

    public init(
        backends: BackendRegistry,
        settings: PipelineSettings,
        logger: Logger,
        progress: (@Sendable (String, BackendProgress) -> Void)? = nil
    ) {
        self.backends = backends
        self.settings = settings
        self.logger = logger
        self.progress = progress
    }

    /// Runs `job` with `recipe` (the merged folder recipes) as the defaults under its sidecar, and
    /// `overrides` (from the command line) over both.
    public func run(
        _ job: JobInput,
        recipe: Instruction,
        recipeFiles: [String],
        overrides: Instruction? = nil
    ) async -> PipelineResult {
        var log = JobLog(jobID: job.id, watch: job.watch, folder: job.folder, attempt: job.attempt, startedAt: Date())
        log.recipeFiles = recipeFiles
        var outputs: [ProducedOutput] = []
        var failure: JobFailure?
        do {
            outputs = try await runStages(job, recipe: recipe, overrides: overrides, log: &log)
            log.outcome = "succeeded"
        } catch {
            log.record(error)
            failure = error
        }
        log.finishedAt = Date()
        return PipelineResult(outputs: outputs, log: log, failure: failure)
    }

    private func runStages(
        _ job: JobInput,
        recipe: Instruction,
        overrides: Instruction?,
        log: inout JobLog
    ) async throws(JobFailure) -> [ProducedOutput] {
        var stopwatch = Stopwatch()

        let files = try JobFiles(job: job)
        log.inputs = files.entries
        stopwatch.lap("read", into: &log)

        let instruction = try resolveInstruction(files: files, recipe: recipe, overrides: overrides, warnings: &log.warnings)
        log.instruction = instruction.jsonObject
        stopwatch.lap("instruction", into: &log)

        let decoded = try decodeImage(files.bytes(of: job.imageName), name: job.imageName)
        log.inputSize = [decoded.image.width, decoded.image.height]
        log.warnings += decoded.warnings
        var source = decoded.image
        if let stitch = instruction.images {
            source = try stitchImages(source, spec: stitch, files: files)
        }
        stopwatch.lap("decode", into: &log)

        let seeds = (0..<instruction.variants).map { instruction.seed(forVariant: $0, derivedSeed: files.defaultSeed) }
        log.seeds = seeds
        var outputs: [ProducedOutput] = []
        for (index, seed) in seeds.enumerated() {
            var image = source
            for (passIndex, pass) in instruction.passes.enumerated() {
                let step = StepLocation(job: job, pass: passIndex + 1, variant: index + 1)
                image = try await apply(pass, to: image, seed: seed, step: step, files: files, log: &log, stopwatch: &stopwatch)
                image = resizeToFinalSize(image, spec: pass.size)
            }
            log.outputSize = [image.width, image.height]
            outputs.append(
                try encode(image, output: instruction.output, decoded: decoded, job: job, variant: index + 1, seed: seed)
            )
            stopwatch.lap("encode", into: &log)
        }
        return outputs
    }

    // MARK: - Instruction

    /// Merges the sidecar over the recipes and the command-line overrides over both, then fills in defaults.
    private func resolveInstruction(
        files: JobFiles,
        recipe: Instruction,
        overrides: Instruction?,
        warnings: inout [String]
    ) throws(JobFailure) -> ResolvedInstruction {
        var merged = recipe
        if let sidecar = files.sidecar {
            do {
                let parsed = try InstructionParser(kind: .sidecar).parse(sidecar.bytes, fileName: sidecar.name)
                warnings += parsed.warnings.map(\.description)
                merged = parsed.instruction.merged(over: merged)
            } catch {
                throw JobFailure(stage: .instruction, message: "\(error)")
            }
        }
        if let overrides {
            merged = overrides.merged(over: merged)
        }
        let resolved: ResolvedInstruction
        do {
            resolved = try ResolvedInstruction(merged)
        } catch {
            throw JobFailure(stage: .instruction, message: "\(error)")
        }
        // A named backend must exist even when no pass needs it, so a typo never passes silently.
        for pass in resolved.passes {
            _ = try backends.backend(named: pass.backend ?? settings.defaultBackend)
        }
        return resolved
    }

    // MARK: - Decoding

    private func decodeImage(_ bytes: [UInt8], name: String) throws(JobFailure) -> DecodedImage {
        do {
            return try ImageDecoder.decode(bytes, limits: settings.decodeLimits)
        } catch {
            throw JobFailure(stage: .decode, message: "'\(name)': \(error)")
        }
    }

    private func stitchImages(_ image: Image, spec: ImageStitchSpec, files: JobFiles) throws(JobFailure) -> Image {
        var images = [image]
        for path in spec.paths {
            images.append(try decodeImage(try files.bytes(ofReferenced: path), name: path).image.converted(to: image.layout))
        }
        return ImageStitcher.stitch(images, options: spec.imagingOptions)
    }

    // MARK: - One edit step

    private func apply(
        _ step: EditPass,
        to image: Image,
        seed: UInt64,
        step location: StepLocation,
        files: JobFiles,
        log: inout JobLog,
        stopwatch: inout Stopwatch
    ) async throws(JobFailure) -> Image {
        let mask = try buildMask(step.mask, for: image, files: files)
        stopwatch.lap("mask", into: &log)
        guard step.prompt != nil || mask != nil else { return image }

        let backend = try backends.backend(named: step.backend ?? settings.defaultBackend)
        try checkCapabilities(of: backend, prompt: step.prompt, mask: mask)
        log.backend = backend.name

        let rgb = image.converted(to: .rgb)
        let edited: Image
        if let mask {
            let settings = step.inpaint.imagingSettings(for: backend)
            let crop = Inpaint.crop(rgb, mask: mask, settings: settings)
            let result = try await callBackend(backend, image: crop.image, mask: crop.mask, step: step, seed: seed, location: location, log: &log)
            stopwatch.lap("backend", into: &log)
            edited = crop.stitcher.stitch(result.fitted(to: crop.image), into: rgb)
        } else {
            let scaled = rgb.kontextScaled()
            let result = try await callBackend(backend, image: scaled, mask: nil, step: step, seed: seed, location: location, log: &log)
            stopwatch.lap("backend", into: &log)
            edited = result.scaledToFill(width: image.width, height: image.height)
        }
        stopwatch.lap("stitch", into: &log)
        guard image.layout.hasAlpha else { return edited }
        // With `mask: alpha` the transparent region is what was filled, so it becomes opaque.
        let filledMask = step.mask?.source == .alpha ? mask : nil
        return edited.withAlpha(of: image, raisedBy: filledMask)
    }

    private func buildMask(_ spec: MaskSpec?, for image: Image, files: JobFiles) throws(JobFailure) -> Mask? {
        guard let spec else { return nil }
        let base: Mask
        do {
            switch spec.source {
            case .file(let path):
                let decoded = try decodeImage(try files.bytes(ofReferenced: path), name: path)
                base = try MaskBuilder.fromImage(decoded.image, width: image.width, height: image.height)
            case .alpha:
                base = try MaskBuilder.fromAlpha(image)
            case .shapes(let shapes):
                base = MaskBuilder.fromShapes(shapes.map(\.imagingShape), width: image.width, height: image.height)
            }
        } catch let failure as JobFailure {
            throw failure
        } catch {
            throw JobFailure(stage: .mask, message: "\(error)")
        }
        let refined = MaskBuilder.refined(base, invert: spec.invert, grow: spec.grow, feather: spec.feather)
        guard !refined.isEmpty else {
            throw JobFailure(
                stage: .mask,
                message: "the mask selects no pixel; paint the region to edit white (or drop `invert: true`), "
                    + "or remove `mask:` to edit the whole image"
            )
        }
        return refined
    }

    private func checkCapabilities(of backend: any EditBackend, prompt: String?, mask: Mask?) throws(JobFailure) {
        if prompt != nil && !backend.capabilities.contains(.promptEdit) {
            throw JobFailure(
                stage: .instruction,
                message: "backend '\(backend.name)' cannot follow a prompt; remove `prompt:` for a plain masked removal, "
                    + "or choose a generative backend with `backend:`"
            )
        }
        if prompt == nil && mask != nil && !backend.capabilities.contains(.maskedFill) {
            throw JobFailure(
                stage: .instruction,
                message: "backend '\(backend.name)' needs a prompt for a masked edit; add `prompt:` saying what to put "
                    + "in the masked region, or use `backend: fill` for a removal"
            )
        }
    }

    private func callBackend(
        _ backend: any EditBackend,
        image: Image,
        mask: Mask?,
        step: EditPass,
        seed: UInt64,
        location: StepLocation,
        log: inout JobLog
    ) async throws(JobFailure) -> Image {
        var request = EditRequest(
            jobID: location.job.id,
            image: image,
            mask: mask,
            prompt: step.prompt,
            seed: seed,
            steps: step.steps,
            guidance: step.guidance,
            outputWidth: image.width,
            outputHeight: image.height
        )
        request.checkpoint = FileCheckpoint(path: location.checkpointPath)
        if let progress {
            let jobID = location.job.id
            request.progress = { progress(jobID, $0) }
        }
        do {
            let result = try await backend.edit(request)
            log.server = result.server ?? log.server
            log.warnings += result.warnings
            log.timings += result.timings.map { JobLog.StageTiming(stage: "backend: " + $0.stage, seconds: $0.seconds) }
            return result.image.converted(to: .rgb)
        } catch {
            throw JobFailure(stage: .backend, message: "backend '\(backend.name)': \(error)", isTransient: error.isTransient)
        }
    }

    // MARK: - Size and encoding

    /// Scales to the pass's `size`: the output is not a model input, so sides are not rounded to 16,
    /// and a different aspect ratio is reached by a centred crop, never by stretching.
    private func resizeToFinalSize(_ image: Image, spec: SizeSpec) -> Image {
        let target = spec.imagingSize.resolve(width: image.width, height: image.height, multiple: 1)
        return image.scaledToFill(width: target.width, height: target.height)
    }

    private func encode(
        _ image: Image,
        output: ResolvedOutput,
        decoded: DecodedImage,
        job: JobInput,
        variant: Int,
        seed: UInt64
    ) throws(JobFailure) -> ProducedOutput {
        let format = output.resolvedFormat(input: decoded.format)
        var options = EncodeOptions(format: format)
        options.quality = output.quality
        options.metadata = output.keepMetadata ? decoded.metadata : nil
        let pixels = format == .jpeg && image.layout.hasAlpha ? image.converted(to: .rgb) : image

        let bytes: [UInt8]
        do {
            bytes = try ImageEncoder.encode(pixels, options: options)
        } catch {
            throw JobFailure(stage: .encode, message: "\(error)")
        }
        let name = OutputNaming(template: output.name).fileName(
            inputName: (job.imageName as NSString).lastPathComponent,
            fileExtension: format.fileExtension,
            variant: variant,
            seed: seed,
            jobID: job.id
        )
        return ProducedOutput(name: name, bytes: bytes, seed: seed, width: image.width, height: image.height)
    }
}

/// Where one generative step sits in a job: which pass of which variant.
struct StepLocation {
    var job: JobInput
    var pass: Int
    var variant: Int

    /// The step's checkpoint file in the claim folder; hidden, so it never counts as a job file.
    var checkpointPath: String {
        job.directory + "/.backend-pass\(pass)-variant\(variant).json"
    }
}

/// Measures the time since the previous lap, for the per-stage timings in the job log.
struct Stopwatch {
    private var last = ContinuousClock.now

    mutating func lap(_ stage: String, into log: inout JobLog) {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if let index = log.timings.firstIndex(where: { $0.stage == stage }) {
            log.timings[index].seconds += seconds
        } else {
            log.timings.append(JobLog.StageTiming(stage: stage, seconds: seconds))
        }
    }
}
