/// An error that explains why a mask could not be built from the input of a job.
public enum MaskError: Error, Equatable, CustomStringConvertible {
    /// The mask image is not the size of the image it masks.
    case sizeMismatch(maskWidth: Int, maskHeight: Int, imageWidth: Int, imageHeight: Int)
    /// `mask: alpha` was requested for an image without an alpha channel.
    case missingAlpha(layout: PixelLayout)
    /// A polygon has fewer than three points.
    case polygonTooShort(pointCount: Int)
    /// A rectangle or ellipse has a zero, negative or non-finite size.
    case invalidShapeSize(shape: String, width: Double, height: Double)

    public var description: String {
        switch self {
        case let .sizeMismatch(maskWidth, maskHeight, imageWidth, imageHeight):
            "The mask image is \(maskWidth)x\(maskHeight) but the image is \(imageWidth)x\(imageHeight); "
                + "export the mask at \(imageWidth)x\(imageHeight)."
        case let .missingAlpha(layout):
            "The image has no alpha channel (layout '\(layout)'), so 'mask: alpha' selects nothing; "
                + "save the image with transparency or give a mask image or shapes."
        case let .polygonTooShort(pointCount):
            "A mask polygon needs at least 3 points but has \(pointCount); add points or use 'rect'."
        case let .invalidShapeSize(shape, width, height):
            "The mask \(shape) has size \(width)x\(height); give a positive width and height."
        }
    }
}
