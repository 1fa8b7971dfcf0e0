import Backends
import Imaging
public import Recipes

/// Values the pipeline uses when neither recipe nor sidecar sets them.
enum InstructionDefaults {
    /// Sampler steps of the official Kontext workflow.
    static let steps = 20
    /// Flux guidance of the official Kontext workflow.
    static let guidance = 2.5
    static let quality = 90
}

extension Instruction {
    /// The edit steps: the chain, each entry over this instruction's own settings, or this instruction alone.
    var editSteps: [Instruction] {
        guard let chain, !chain.isEmpty else { return [self] }
        var base = self
        base.chain = nil
        base.prompt = nil
        base.mask = nil
        return chain.map { $0.merged(over: base) }
    }

    /// One seed per variant: `seeds` when given, else consecutive seeds from `seed` (or the job's default).
    func resolvedSeeds(defaultSeed: UInt64) -> [UInt64] {
        if let seeds, !seeds.isEmpty { return seeds }
        let first = seed ?? defaultSeed
        let count = Swift.max(1, variants ?? 1)
        return (0..<count).map { first &+ UInt64($0) }
    }
}

extension SizeSpec {
    var imagingSize: TargetSize {
        switch self {
        case .keep: .keep
        case .exact(let width, let height): .exact(width: width, height: height)
        case .kontext: .kontext
        case .aspect(let width, let height, let longEdge): .aspect(width: width, height: height, longEdge: longEdge)
        case .longEdge(let edge): .longEdge(edge)
        case .megapixels(let megapixels): .megapixels(megapixels)
        }
    }
}

extension MaskShape {
    var imagingShape: MaskShape2D {
        switch self {
        case .rect(let x, let y, let width, let height):
            .rect(x: x, y: y, width: width, height: height)
        case .ellipse(let centerX, let centerY, let radiusX, let radiusY):
            .ellipse(centerX: centerX, centerY: centerY, radiusX: radiusX, radiusY: radiusY)
        case .polygon(let points):
            .polygon(points.map { MaskPoint(x: $0.x, y: $0.y) })
        }
    }
}

extension Optional where Wrapped == InpaintSpec {
    /// Crop-and-stitch settings; a backend that only fills keeps the crop at its own size.
    func imagingSettings(for backend: any EditBackend) -> InpaintSettings {
        var settings = InpaintSettings()
        if let context = self?.context { settings.contextFactor = context }
        if let blend = self?.blend { settings.blendPixels = blend }
        if let grow = self?.grow { settings.growPixels = grow }
        if let target = self?.target {
            settings.target = target.imagingSize
        } else if !backend.capabilities.contains(.promptEdit) {
            settings.target = .keep
        }
        return settings
    }
}

extension ImageStitchSpec {
    var imagingOptions: ImageStitchOptions {
        ImageStitchOptions(
            direction: ImageStitchOptions.Direction(rawValue: direction.rawValue) ?? .right,
            matchSize: matchSize,
            spacing: spacing,
            spacingColor: ImageStitchOptions.SpacingColor(rawValue: spacingColor.rawValue) ?? .white
        )
    }
}

extension OutputSpec {
    /// The format to write: the input's own where it can be written (HEIF cannot), else JPEG.
    func resolvedFormat(input: ImageFileFormat) -> ImageFileFormat {
        switch format ?? .same {
        case .jpeg: .jpeg
        case .png: .png
        case .webp: .webp
        case .same: input == .heif ? .jpeg : input
        }
    }
}

extension ImageFileFormat {
    var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        case .heif: "heic"
        }
    }
}

extension Image {
    /// This image at `reference`'s size; backends may return another size than they were given.
    func fitted(to reference: Image) -> Image {
        guard width != reference.width || height != reference.height else { return self }
        return resized(width: reference.width, height: reference.height, filter: .lanczos3)
    }

    /// This RGB image with the alpha channel of `original` (same size), so transparency survives an edit.
    func withAlpha(of original: Image) -> Image {
        let rgba = original.converted(to: .rgba)
        var pixels = converted(to: .rgba).pixels
        var index = 3
        while index < pixels.count {
            pixels[index] = rgba.pixels[index]
            index += 4
        }
        return Image(width: width, height: height, layout: .rgba, pixels: pixels)
    }
}

extension Instruction {
    /// Paths of the files this instruction reads besides the image (mask, extra images), relative to
    /// its sidecar; the hot folder waits for them and moves them with the job.
    public var referencedPaths: [String] {
        var paths: [String] = []
        if case .file(let path) = mask?.source { paths.append(path) }
        paths += images?.paths ?? []
        for step in chain ?? [] {
            paths += step.referencedPaths
        }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }
}
