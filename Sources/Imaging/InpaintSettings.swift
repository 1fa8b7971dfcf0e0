/// Settings for choosing and preparing the region around a mask in `Inpaint.crop`. They follow the
/// `InpaintCropImproved` node of ComfyUI-Inpaint-CropAndStitch 3.0.9 and default to its values unless noted.
public struct InpaintSettings: Sendable, Equatable {
    /// How much larger than the mask's bounding box the context is: each side grows by
    /// `round(size · (factor - 1) / 2)` pixels. Values below 1.01 add no context.
    public var contextFactor: Double
    /// Width of the soft seam between edited and original pixels. The mask is dilated by a square of side
    /// `ceil(1.5 · B / 4 + 1)` and blurred with σ = B / 8, and the blend weight gets a second σ = B / 8 blur.
    /// Zero gives a hard edge.
    public var blendPixels: Int
    /// Pixels by which the mask grows (disc dilation, as `MaskBuilder.refined`) before anything else.
    /// A negative value erodes it.
    public var growPixels: Int
    /// The size the crop is resized to for the model; nil picks the Kontext resolution nearest to the
    /// context's aspect ratio. The resolved size is rounded up to a multiple of 16.
    public var target: TargetSize?
    /// Filter used when the crop is enlarged to the target, or the edit is enlarged back onto the crop.
    public var upscaleFilter: ResampleFilter
    /// Filter used when the crop is shrunk to the target, or the edit is shrunk back onto the crop.
    public var downscaleFilter: ResampleFilter
    /// Processed mask values below this are cleared (the node's `mask_hipass_filter` of 0.1, which is 26 of 255).
    public var hipassThreshold: UInt8

    public init(
        contextFactor: Double = 1.2,
        blendPixels: Int = 32,
        growPixels: Int = 0,
        target: TargetSize? = nil,
        upscaleFilter: ResampleFilter = .bicubic,
        downscaleFilter: ResampleFilter = .bilinear,
        hipassThreshold: UInt8 = 26
    ) {
        self.contextFactor = contextFactor
        self.blendPixels = blendPixels
        self.growPixels = growPixels
        self.target = target
        self.upscaleFilter = upscaleFilter
        self.downscaleFilter = downscaleFilter
        self.hipassThreshold = hipassThreshold
    }
}

/// A rectangle in pixel coordinates of the original image; it may extend past the image's edges.
public struct InpaintRect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height) at (\(x), \(y))" }
}

/// The result of `Inpaint.crop`: what the model edits, and how to put its output back.
public struct InpaintCrop: Sendable {
    /// The context region resized to the target size, edge-replicated where it leaves the image.
    public var image: Image
    /// The processed mask over `image`; outside the original image it is 255, as in `InpaintCropImproved`.
    public var mask: Mask
    public var stitcher: InpaintStitcher
}
