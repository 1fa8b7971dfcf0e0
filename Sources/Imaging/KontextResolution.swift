/// The output sizes that Flux Kontext was trained on, and ComfyUI's rule for picking one.
///
/// The list and the rule are those of ComfyUI's `FluxKontextImageScale` node
/// (`comfy_extras/nodes_flux.py`, `PREFERED_KONTEXT_RESOLUTIONS`).
public enum KontextResolution {
    /// The 17 preferred sizes, about one megapixel each and all multiples of 16.
    public static let preferred: [(width: Int, height: Int)] = [
        (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184), (944, 1104),
        (1024, 1024),
        (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752), (1456, 720), (1504, 688), (1568, 672),
    ]

    /// Returns the preferred size whose aspect ratio is closest to `width / height`.
    ///
    /// Like ComfyUI's Python `min` over `(|ratio - w/h|, w, h)` tuples, an exact tie goes to the smaller
    /// width, then the smaller height.
    public static func nearest(width: Int, height: Int) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0, "An aspect ratio needs a positive width and height")
        let ratio = Double(width) / Double(height)
        var best = preferred[0]
        var bestDistance = Double.infinity
        for candidate in preferred {
            let distance = abs(ratio - Double(candidate.width) / Double(candidate.height))
            let isCloser = distance < bestDistance
            let winsTie =
                distance == bestDistance
                && (candidate.width, candidate.height) < (best.width, best.height)
            if isCloser || winsTie {
                best = candidate
                bestDistance = distance
            }
        }
        return best
    }

    /// Returns the centred region that `comfy.utils.common_upscale(..., crop: "center")` keeps.
    ///
    /// ComfyUI removes `round((w - w * (target / source)) / 2)` columns from each side when the source is
    /// wider than the target ratio (rows when it is taller). Python's `round` rounds half to even.
    public static func centerCrop(
        width: Int,
        height: Int,
        toAspectOf target: (width: Int, height: Int)
    ) -> (x: Int, y: Int, width: Int, height: Int) {
        let sourceAspect = Double(width) / Double(height)
        let targetAspect = Double(target.width) / Double(target.height)
        var x = 0
        var y = 0
        if sourceAspect > targetAspect {
            let removed = Double(width) - Double(width) * (targetAspect / sourceAspect)
            x = Int((removed / 2).rounded(.toNearestOrEven))
        } else if sourceAspect < targetAspect {
            let removed = Double(height) - Double(height) * (sourceAspect / targetAspect)
            y = Int((removed / 2).rounded(.toNearestOrEven))
        }
        return (x, y, width - 2 * x, height - 2 * y)
    }
}

extension Image {
    /// Returns the image as ComfyUI's `FluxKontextImageScale` produces it.
    ///
    /// The image is centre-cropped to the aspect ratio of `KontextResolution.nearest`, then resized to that
    /// size with Lanczos. The output size is always one of the preferred sizes, never the input size.
    public func kontextScaled() -> Image {
        let target = KontextResolution.nearest(width: width, height: height)
        let crop = KontextResolution.centerCrop(width: width, height: height, toAspectOf: target)
        return resized(region: crop, width: target.width, height: target.height, filter: .lanczos3)
    }
}
