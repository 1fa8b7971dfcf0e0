extension Inpaint {
    /// Grows `box` (never shrinks it) to the aspect ratio of `target`, centred, as `crop_magic_im`
    /// of ComfyUI-Inpaint-CropAndStitch does.
    ///
    /// The grown box is shifted back inside the image when it fits. A box wider (or taller) than the image
    /// is centred on it instead, so it leaves the image on both sides and the crop replicates the edges.
    static func grownToAspect(
        _ box: InpaintRect,
        target: (width: Int, height: Int),
        imageWidth: Int,
        imageHeight: Int
    ) -> InpaintRect {
        let targetAspect = Double(target.width) / Double(target.height)
        let boxAspect = Double(box.width) / Double(box.height)
        var rect = box
        if boxAspect < targetAspect {
            rect.width = max(box.width, Int(Double(box.height) * targetAspect))
            rect.x = fitted(box.x - (rect.width - box.width) / 2, length: rect.width, limit: imageWidth)
        } else {
            rect.height = max(box.height, Int(Double(box.width) / targetAspect))
            rect.y = fitted(box.y - (rect.height - box.height) / 2, length: rect.height, limit: imageHeight)
        }
        return rect
    }

    /// Shifts a span starting at `start` into `0..<limit` if it fits there, or centres it on that range.
    private static func fitted(_ start: Int, length: Int, limit: Int) -> Int {
        if start < 0 {
            return length <= limit ? 0 : -((length - limit) / 2)
        }
        if start + length > limit {
            let shifted = limit - length
            return shifted >= 0 ? shifted : -((length - limit) / 2)
        }
        return start
    }

    /// Returns the blend weight of the edited pixels over `rect`, at the crop's own resolution.
    ///
    /// ComfyUI-Inpaint-CropAndStitch (ICS) blurs the resized crop mask with σ = B / 8 at the target
    /// resolution and resizes the result back. This blurs once at crop resolution with σ scaled by
    /// crop size / target size instead, which avoids two extra resamplings. The ramp is close to ICS's
    /// but was not compared with it pixel for pixel.
    /// NOTE: Outside the image the mask is edge-replicated, where ICS uses 1. A value of 1 lets the blur pull
    /// the edit into border pixels far from the mask. A value of 0 would make a mask that touches the
    /// border fade out there. Replication keeps the weight of a border-touching mask full and leaves other
    /// borders alone.
    static func blendMask(
        _ processed: Mask,
        rect: InpaintRect,
        target: (width: Int, height: Int),
        blendPixels: Int
    ) -> Mask {
        let plane = Image(width: processed.width, height: processed.height, layout: .gray, pixels: processed.values)
            .croppedReplicatingEdges(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
        let crop = Mask(width: rect.width, height: rect.height, values: plane.pixels)
        guard blendPixels > 0 else { return crop }
        let scale = (Double(rect.width) / Double(target.width) + Double(rect.height) / Double(target.height)) / 2
        // Truncating, as torchvision's to_pil_image does in ICS, gives the node's zero-weight area up to
        // a few pixels on its boundary.
        return MaskGaussianBlur.blurred(crop, sigma: Double(blendPixels) / 8 * scale, rounding: .towardZero)
    }
}
