import Backends
import Imaging
public import Recipes

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

extension ResolvedInpaint {
    /// Crop-and-stitch settings. A backend that only fills (the built-in fill) has no preferred
    /// resolution, so its crop keeps its own size whatever `target` is.
    func imagingSettings(for backend: any EditBackend) -> InpaintSettings {
        var settings = InpaintSettings()
        settings.contextFactor = context
        settings.blendPixels = blend
        settings.growPixels = grow
        settings.target = backend.capabilities.contains(.promptEdit) ? target.imagingSize : .keep
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

extension ResolvedOutput {
    /// Returns the format to write: the input's own where it can be written (HEIF cannot), else JPEG.
    func resolvedFormat(input: ImageFileFormat) -> ImageFileFormat {
        switch format {
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

    /// This RGB image with the alpha channel of `original` (same size), so transparency survives an
    /// edit. Every pixel that `filled` selects at all becomes opaque, because the edit painted it.
    func withAlpha(of original: Image, raisedBy filled: Mask? = nil) -> Image {
        let rgba = original.converted(to: .rgba)
        var pixels = converted(to: .rgba).pixels
        for pixel in 0..<(width * height) {
            let selected = (filled?.values[pixel] ?? 0) > 0
            pixels[pixel * 4 + 3] = selected ? 255 : rgba.pixels[pixel * 4 + 3]
        }
        return Image(width: width, height: height, layout: .rgba, pixels: pixels)
    }
}

extension Instruction {
    /// Paths of the files this instruction reads besides the image (mask, extra images), relative to
    /// its sidecar. The hot folder waits for them and moves them with the job.
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
