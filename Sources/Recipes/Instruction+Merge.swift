extension Instruction {
    /// Returns this instruction laid over `base`: every key set here wins, unset keys come from `base`.
    ///
    /// `inpaint`, `output` and `intake` merge key by key. `mask`, `size`, `images` and `chain` replace
    /// whole. `seed` and `seeds` travel together: setting either here discards both from `base`, so a
    /// sidecar's `seed: 7` is not overruled by a recipe's `seeds` list.
    public func merged(over base: Instruction) -> Instruction {
        var result = base
        result.prompt = prompt ?? base.prompt
        result.mask = mask ?? base.mask
        result.size = size ?? base.size
        if seed != nil || seeds != nil {
            result.seed = seed
            result.seeds = seeds
        }
        result.variants = variants ?? base.variants
        result.steps = steps ?? base.steps
        result.guidance = guidance ?? base.guidance
        result.inpaint = Self.mergeOptional(inpaint, base.inpaint) { $0.merged(over: $1) }
        result.images = images ?? base.images
        result.chain = chain ?? base.chain
        result.backend = backend ?? base.backend
        result.output = Self.mergeOptional(output, base.output) { $0.merged(over: $1) }
        result.intake = Self.mergeOptional(intake, base.intake) { $0.merged(over: $1) }
        return result
    }

    private static func mergeOptional<T>(_ top: T?, _ base: T?, _ merge: (T, T) -> T) -> T? {
        guard let top else { return base }
        guard let base else { return top }
        return merge(top, base)
    }
}

extension InpaintSpec {
    /// Returns these settings laid over `base`, key by key.
    public func merged(over base: InpaintSpec) -> InpaintSpec {
        InpaintSpec(
            context: context ?? base.context,
            blend: blend ?? base.blend,
            grow: grow ?? base.grow,
            target: target ?? base.target
        )
    }
}

extension OutputSpec {
    /// Returns these settings laid over `base`, key by key.
    public func merged(over base: OutputSpec) -> OutputSpec {
        OutputSpec(
            format: format ?? base.format,
            quality: quality ?? base.quality,
            name: name ?? base.name,
            keepMetadata: keepMetadata ?? base.keepMetadata
        )
    }
}

extension IntakeSpec {
    /// Returns these settings laid over `base`, key by key.
    public func merged(over base: IntakeSpec) -> IntakeSpec {
        IntakeSpec(
            sidecarRequired: sidecarRequired ?? base.sidecarRequired,
            sidecarWaitSeconds: sidecarWaitSeconds ?? base.sidecarWaitSeconds,
            settleSeconds: settleSeconds ?? base.settleSeconds
        )
    }
}
