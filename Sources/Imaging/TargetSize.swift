/// The requested output size of an edit, resolved against the input size by `resolve`.
public enum TargetSize: Sendable, Equatable {
    /// The input size.
    case keep
    /// Exactly this size, not rounded.
    case exact(width: Int, height: Int)
    /// The preferred Kontext size nearest to the input's aspect ratio.
    case kontext
    /// The aspect ratio `width:height`, with the given long edge or, when nil, the input's long edge.
    case aspect(width: Int, height: Int, longEdge: Int?)
    /// The input's aspect ratio with this long edge in pixels.
    case longEdge(Int)
    /// The input's aspect ratio with this many megapixels, where one megapixel is 1024 × 1024 pixels as
    /// in ComfyUI's `ImageScaleToTotalPixels`.
    case megapixels(Double)

    /// The multiple that every computed size is rounded to; the Flux latent needs multiples of 16.
    public static let granularity = 16

    /// Returns the output size for an input of `width` × `height`.
    ///
    /// `.keep` and `.exact` return their size unchanged. The other forms round each side to the nearest
    /// multiple of `multiple` (16 by default, for the model; 1 for a final output size), and never below it.
    public func resolve(width: Int, height: Int, multiple: Int = granularity) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0, "An input size needs a positive width and height")
        switch self {
        case .keep:
            return (width, height)
        case let .exact(exactWidth, exactHeight):
            return (exactWidth, exactHeight)
        case .kontext:
            return KontextResolution.nearest(width: width, height: height)
        case let .aspect(aspectWidth, aspectHeight, longEdge):
            let edge = Double(longEdge ?? max(width, height))
            let ratio = Double(aspectWidth) / Double(aspectHeight)
            return ratio >= 1 ? Self.rounded(edge, edge / ratio, multiple) : Self.rounded(edge * ratio, edge, multiple)
        case let .longEdge(edge):
            let scale = Double(edge) / Double(max(width, height))
            return Self.rounded(Double(width) * scale, Double(height) * scale, multiple)
        case let .megapixels(megapixels):
            let scale = (megapixels * 1024 * 1024 / Double(width * height)).squareRoot()
            return Self.rounded(Double(width) * scale, Double(height) * scale, multiple)
        }
    }

    private static func rounded(_ width: Double, _ height: Double, _ multiple: Int) -> (width: Int, height: Int) {
        (rounded(width, toMultipleOf: multiple), rounded(height, toMultipleOf: multiple))
    }

    private static func rounded(_ value: Double, toMultipleOf multiple: Int) -> Int {
        max(multiple, Int((value / Double(multiple)).rounded()) * multiple)
    }
}
