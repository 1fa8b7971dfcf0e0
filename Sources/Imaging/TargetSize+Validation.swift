/// An invalid output size in an instruction.
public enum TargetSizeError: Error, Equatable, CustomStringConvertible {
    case invalidExactSize(width: Int, height: Int)
    case invalidAspect(width: Int, height: Int)
    case invalidLongEdge(Int)
    case invalidMegapixels(Double)

    public var description: String {
        switch self {
        case let .invalidExactSize(width, height):
            "The output size \(width)x\(height) is invalid; give a positive width and height such as 1024x768."
        case let .invalidAspect(width, height):
            "The aspect ratio \(width):\(height) is invalid; give two positive numbers such as 16:9."
        case let .invalidLongEdge(edge):
            "The long edge \(edge) is invalid; give a positive number of pixels such as 1024."
        case let .invalidMegapixels(megapixels):
            "The size of \(megapixels) megapixels is invalid; give a positive number such as 1.0."
        }
    }
}

extension TargetSize {
    /// Checks that every number in the size is positive, so `resolve` can compute a size from it.
    public func validate() throws(TargetSizeError) {
        switch self {
        case .keep, .kontext:
            return
        case let .exact(width, height):
            guard width > 0, height > 0 else { throw .invalidExactSize(width: width, height: height) }
        case let .aspect(width, height, longEdge):
            guard width > 0, height > 0 else { throw .invalidAspect(width: width, height: height) }
            if let longEdge, longEdge <= 0 { throw .invalidLongEdge(longEdge) }
        case let .longEdge(edge):
            guard edge > 0 else { throw .invalidLongEdge(edge) }
        case let .megapixels(megapixels):
            guard megapixels > 0, megapixels.isFinite else { throw .invalidMegapixels(megapixels) }
        }
    }
}
