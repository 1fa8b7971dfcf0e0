/// An invalid crop-and-stitch setting in an instruction.
public enum InpaintSettingsError: Error, Equatable, CustomStringConvertible {
    case invalidContextFactor(Double)
    case invalidBlendPixels(Int)
    case invalidTarget(TargetSizeError)

    public var description: String {
        switch self {
        case let .invalidContextFactor(factor):
            "The inpaint context factor \(factor) is invalid; give 1.0 or more, such as 1.2."
        case let .invalidBlendPixels(pixels):
            "The inpaint blend width \(pixels) is invalid; give 0 or more pixels, such as 32."
        case let .invalidTarget(error):
            "The inpaint target is invalid: \(error)"
        }
    }
}

extension InpaintSettings {
    /// Checks the settings that `Inpaint.crop` cannot work with.
    public func validate() throws(InpaintSettingsError) {
        guard contextFactor >= 1, contextFactor.isFinite else { throw .invalidContextFactor(contextFactor) }
        guard blendPixels >= 0 else { throw .invalidBlendPixels(blendPixels) }
        do {
            try target?.validate()
        } catch {
            throw .invalidTarget(error)
        }
    }
}
