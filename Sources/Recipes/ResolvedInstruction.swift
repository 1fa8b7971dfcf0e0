/// One edit pass with every default filled in: the whole job, or one entry of its `chain`.
public struct EditPass: Sendable, Equatable {
    public var prompt: String?
    public var mask: MaskSpec?
    public var size: SizeSpec
    public var steps: Int
    public var guidance: Double
    public var inpaint: ResolvedInpaint
    /// The backend to use, or nil for the configuration's `default_backend`.
    public var backend: String?

    public init(
        prompt: String?,
        mask: MaskSpec?,
        size: SizeSpec,
        steps: Int,
        guidance: Double,
        inpaint: ResolvedInpaint,
        backend: String?
    ) {
        self.prompt = prompt
        self.mask = mask
        self.size = size
        self.steps = steps
        self.guidance = guidance
        self.inpaint = inpaint
        self.backend = backend
    }
}

/// Crop-and-stitch settings with defaults filled in.
public struct ResolvedInpaint: Sendable, Equatable {
    public var context: Double
    public var blend: Int
    public var grow: Int
    public var target: SizeSpec

    public init(context: Double, blend: Int, grow: Int, target: SizeSpec) {
        self.context = context
        self.blend = blend
        self.grow = grow
        self.target = target
    }
}

/// Output settings with defaults filled in.
public struct ResolvedOutput: Sendable, Equatable {
    public var format: OutputSpec.Format
    public var quality: Int
    public var name: String
    public var keepMetadata: Bool

    public init(format: OutputSpec.Format, quality: Int, name: String, keepMetadata: Bool) {
        self.format = format
        self.quality = quality
        self.name = name
        self.keepMetadata = keepMetadata
    }
}

/// A merged instruction (recipes, then sidecar) with defaults filled in, ready for the pipeline.
///
/// The seed stays optional. When neither `seed` nor `seeds` is set, the pipeline derives one from the job.
public struct ResolvedInstruction: Sendable, Equatable {
    public static let defaultSteps = 20
    public static let defaultGuidance = 2.5
    public static let defaultInpaint = ResolvedInpaint(context: 1.2, blend: 16, grow: 0, target: .kontext)
    public static let defaultQuality = 90
    /// The default output name, distinct from the original's, which stays beside the result in the outbox.
    public static let defaultName = "{name}-edited.{ext}"
    public static let defaultVariantName = "{name}-edited-{variant}.{ext}"

    /// The merged instruction as written, for the job log.
    public var instruction: Instruction
    /// The passes in order: the chain's entries, each laid over the top-level keys, or one pass.
    public var passes: [EditPass]
    /// Variants to produce: the number of `seeds` when given, otherwise `variants`, otherwise 1.
    public var variants: Int
    public var seed: UInt64?
    public var seeds: [UInt64]?
    public var images: ImageStitchSpec?
    public var output: ResolvedOutput

    /// Fills in defaults, and throws when the merged keys contradict each other.
    public init(_ instruction: Instruction) throws(RecipesError) {
        self.instruction = instruction
        seed = instruction.seed
        seeds = instruction.seeds
        images = instruction.images
        variants = instruction.seeds?.count ?? instruction.variants ?? 1

        let output = instruction.output ?? OutputSpec()
        let name = output.name ?? (variants > 1 ? Self.defaultVariantName : Self.defaultName)
        guard variants == 1 || OutputNameTemplate.distinguishesVariants(name) else {
            throw .unresolvable(OutputNameTemplate.missingVariantMessage(name, variants: variants))
        }
        self.output = ResolvedOutput(
            format: output.format ?? .same,
            quality: output.quality ?? Self.defaultQuality,
            name: name,
            keepMetadata: output.keepMetadata ?? true
        )

        var top = instruction
        top.chain = nil
        passes = (instruction.chain ?? [Instruction()]).map { Self.makePass($0.merged(over: top)) }
    }

    private static func makePass(_ instruction: Instruction) -> EditPass {
        let inpaint = instruction.inpaint ?? InpaintSpec()
        return EditPass(
            prompt: instruction.prompt,
            mask: instruction.mask,
            size: instruction.size ?? .keep,
            steps: instruction.steps ?? defaultSteps,
            guidance: instruction.guidance ?? defaultGuidance,
            inpaint: ResolvedInpaint(
                context: inpaint.context ?? defaultInpaint.context,
                blend: inpaint.blend ?? defaultInpaint.blend,
                grow: inpaint.grow ?? defaultInpaint.grow,
                target: inpaint.target ?? defaultInpaint.target
            ),
            backend: instruction.backend
        )
    }

    /// Returns the seed of variant `index` (0-based): `seeds[index]`, or `seed + index` with wrap-around,
    /// using `derivedSeed` when `seed` is not set.
    public func seed(forVariant index: Int, derivedSeed: UInt64) -> UInt64 {
        if let seeds, seeds.indices.contains(index) { return seeds[index] }
        return (seed ?? derivedSeed) &+ UInt64(index)
    }
}
