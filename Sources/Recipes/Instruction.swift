/// One edit instruction as read from a sidecar or a folder recipe, before merging.
///
/// Every field is optional: a nil field means "not set here", so a sidecar can override a recipe
/// key by key. `ResolvedInstruction` is the merged result with defaults filled in.
public struct Instruction: Sendable, Equatable {
    public var prompt: String?
    public var mask: MaskSpec?
    public var size: SizeSpec?
    public var seed: UInt64?
    /// Number of variants to produce; each uses `seed + index` unless `seeds` lists them.
    public var variants: Int?
    public var seeds: [UInt64]?
    public var steps: Int?
    public var guidance: Double?
    public var inpaint: InpaintSpec?
    public var images: ImageStitchSpec?
    /// Edits applied one after another, each on the previous result.
    public var chain: [Instruction]?
    public var backend: String?
    public var output: OutputSpec?
    /// Recipe-only settings that steer the hot folder rather than the edit.
    public var intake: IntakeSpec?

    public init() {}
}

/// Where the region to edit comes from, and how to shape it.
public struct MaskSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A mask image, relative to the sidecar; white edits.
        case file(String)
        /// The transparent pixels of the image itself.
        case alpha
        /// Shapes in pixel coordinates of the upright image.
        case shapes([MaskShape])
    }

    public var source: Source
    public var invert: Bool
    /// Dilation in pixels.
    public var grow: Int
    /// Gaussian feather radius in pixels.
    public var feather: Double

    public init(source: Source, invert: Bool = false, grow: Int = 0, feather: Double = 0) {
        self.source = source
        self.invert = invert
        self.grow = grow
        self.feather = feather
    }
}

/// A shape that selects pixels, in pixel coordinates of the upright image.
public enum MaskShape: Sendable, Equatable {
    case rect(x: Double, y: Double, width: Double, height: Double)
    case ellipse(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double)
    case polygon([Point])

    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }
}

/// The requested output size.
public enum SizeSpec: Sendable, Equatable {
    /// The input's size (after orientation).
    case keep
    case exact(width: Int, height: Int)
    /// The preferred Kontext resolution nearest the input's aspect ratio.
    case kontext
    /// An aspect ratio such as 16:9, at about the input's pixel count unless `longEdge` is given.
    case aspect(width: Int, height: Int, longEdge: Int?)
    /// Scale so the longer side has this many pixels.
    case longEdge(Int)
    /// Scale to about this many megapixels, keeping the aspect ratio.
    case megapixels(Double)
}

/// Crop-and-stitch settings for masked edits.
public struct InpaintSpec: Sendable, Equatable {
    /// How far the crop extends around the mask's bounding box, as a factor (1.2 adds 10% per side).
    public var context: Double?
    /// Width of the blend zone in pixels.
    public var blend: Int?
    /// Mask dilation in pixels before cropping.
    public var grow: Int?
    /// The size the crop is scaled to for the backend.
    public var target: SizeSpec?

    public init(context: Double? = nil, blend: Int? = nil, grow: Int? = nil, target: SizeSpec? = nil) {
        self.context = context
        self.blend = blend
        self.grow = grow
        self.target = target
    }
}

/// Extra images combined onto one canvas with the main image before the edit.
public struct ImageStitchSpec: Sendable, Equatable {
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        case right, left, down, up
    }

    public enum SpacingColor: String, Sendable, Equatable, CaseIterable {
        case white, black, red, green, blue
    }

    /// Image paths relative to the sidecar.
    public var paths: [String]
    public var direction: Direction
    public var matchSize: Bool
    public var spacing: Int
    public var spacingColor: SpacingColor

    public init(
        paths: [String],
        direction: Direction = .right,
        matchSize: Bool = true,
        spacing: Int = 0,
        spacingColor: SpacingColor = .white
    ) {
        self.paths = paths
        self.direction = direction
        self.matchSize = matchSize
        self.spacing = spacing
        self.spacingColor = spacingColor
    }
}

/// How results are written.
public struct OutputSpec: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// The input's own format where it can be written, otherwise JPEG.
        case same
        case jpeg, png, webp
    }

    public var format: Format?
    /// JPEG or WebP quality, 1–100.
    public var quality: Int?
    /// File-name template, for example `{name}-edited.{ext}`.
    public var name: String?
    /// Whether EXIF, ICC and XMP travel from the input to the output.
    public var keepMetadata: Bool?

    public init(format: Format? = nil, quality: Int? = nil, name: String? = nil, keepMetadata: Bool? = nil) {
        self.format = format
        self.quality = quality
        self.name = name
        self.keepMetadata = keepMetadata
    }
}

/// Recipe keys that steer intake: when a file becomes a job.
public struct IntakeSpec: Sendable, Equatable {
    /// Whether an image waits for its sidecar.
    public var sidecarRequired: Bool?
    /// How long an image waits for a required sidecar (or a sidecar for its image) before it fails.
    public var sidecarWaitSeconds: Double?
    /// How long size and mtime must stay unchanged before a file counts as complete.
    public var settleSeconds: Double?

    public init(sidecarRequired: Bool? = nil, sidecarWaitSeconds: Double? = nil, settleSeconds: Double? = nil) {
        self.sidecarRequired = sidecarRequired
        self.sidecarWaitSeconds = sidecarWaitSeconds
        self.settleSeconds = settleSeconds
    }
}
