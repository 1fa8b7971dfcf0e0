/// A point in pixel coordinates: (0, 0) is the top-left corner of the top-left pixel.
public struct MaskPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A region to edit, in pixel coordinates of the image.
///
/// A pixel covers the unit square from (x, y) to (x + 1, y + 1), so `rect(x: 0, y: 0, width: 2, height: 1)`
/// selects exactly the first two pixels of the top row.
public enum MaskShape2D: Sendable, Equatable {
    case rect(x: Double, y: Double, width: Double, height: Double)
    case ellipse(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double)
    /// A closed polygon filled with the even-odd rule.
    case polygon([MaskPoint])

    /// Checks the shape's geometry, so a bad sidecar fails with a message instead of an empty mask.
    public func validate() throws(MaskError) {
        switch self {
        case let .rect(_, _, width, height):
            guard width > 0, height > 0, width.isFinite, height.isFinite else {
                throw .invalidShapeSize(shape: "rect", width: width, height: height)
            }
        case let .ellipse(_, _, radiusX, radiusY):
            guard radiusX > 0, radiusY > 0, radiusX.isFinite, radiusY.isFinite else {
                throw .invalidShapeSize(shape: "ellipse", width: 2 * radiusX, height: 2 * radiusY)
            }
        case let .polygon(points):
            guard points.count >= 3 else { throw .polygonTooShort(pointCount: points.count) }
        }
    }

    /// The vertical extent of the shape.
    var verticalRange: ClosedRange<Double> {
        switch self {
        case let .rect(_, y, _, height):
            return y...(y + height)
        case let .ellipse(_, centerY, _, radiusY):
            return (centerY - radiusY)...(centerY + radiusY)
        case let .polygon(points):
            let ys = points.map(\.y)
            return (ys.min() ?? 0)...(ys.max() ?? 0)
        }
    }

    /// Returns the horizontal spans `[start, end)` that the shape covers on the line at height `y`.
    func spans(atY y: Double) -> [(start: Double, end: Double)] {
        switch self {
        case let .rect(x, top, width, height):
            return y >= top && y < top + height ? [(x, x + width)] : []
        case let .ellipse(centerX, centerY, radiusX, radiusY):
            let t = (y - centerY) / radiusY
            guard t * t < 1 else { return [] }
            let halfWidth = radiusX * (1 - t * t).squareRoot()
            return [(centerX - halfWidth, centerX + halfWidth)]
        case let .polygon(points):
            return Self.polygonSpans(points, atY: y)
        }
    }

    /// Even-odd spans: the sorted crossings of the line with the polygon's edges, taken in pairs.
    private static func polygonSpans(_ points: [MaskPoint], atY y: Double) -> [(start: Double, end: Double)] {
        var crossings: [Double] = []
        for index in points.indices {
            let a = points[index]
            let b = points[(index + 1) % points.count]
            // Half-open in y so a vertex shared by two edges is counted once.
            guard (a.y <= y && y < b.y) || (b.y <= y && y < a.y) else { continue }
            crossings.append(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
        }
        crossings.sort()
        return stride(from: 0, to: crossings.count - 1, by: 2).map { (crossings[$0], crossings[$0 + 1]) }
    }
}
