/// Crop-and-stitch inpainting: the model receives only the region around the mask, and only that region changes.
public enum Inpaint {
    /// Cuts the region around `mask` out of `image` and resizes it for the model.
    ///
    /// The steps follow `InpaintCropImproved`. First the mask grows, is prepared for blending and loses its
    /// faint values. Its bounding box (the whole image when the mask is empty) gains context and grows to
    /// the target's aspect ratio, shifted inside the image where it fits. Last, the box is cropped with
    /// edge replication and resized to the target.
    public static func crop(_ image: Image, mask: Mask, settings: InpaintSettings) -> InpaintCrop {
        precondition(
            mask.width == image.width && mask.height == image.height,
            "The inpaint mask is \(mask.width)x\(mask.height) but the image is \(image.width)x\(image.height)"
        )
        let processed = processedMask(mask, settings: settings)
        let box = contextBox(of: processed, factor: settings.contextFactor)
        let target = targetSize(for: box, settings: settings)
        let rect = grownToAspect(box, target: target, imageWidth: image.width, imageHeight: image.height)

        let croppedImage = image.croppedReplicatingEdges(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
        let modelMask = processed.cropped(
            x: rect.x,
            y: rect.y,
            width: rect.width,
            height: rect.height,
            outsideValue: 255
        )
        let filter =
            target.width > rect.width || target.height > rect.height
            ? settings.upscaleFilter : settings.downscaleFilter

        let stitcher = InpaintStitcher(
            cropRect: rect,
            blendMask: blendMask(processed, rect: rect, target: target, blendPixels: settings.blendPixels),
            targetWidth: target.width,
            targetHeight: target.height,
            upscaleFilter: settings.upscaleFilter,
            downscaleFilter: settings.downscaleFilter,
            imageWidth: image.width,
            imageHeight: image.height
        )
        return InpaintCrop(
            image: croppedImage.resized(width: target.width, height: target.height, filter: filter),
            mask: modelMask.resized(width: target.width, height: target.height, filter: filter),
            stitcher: stitcher
        )
    }

    /// Grows the mask, then dilates and blurs it for blending, then clears values below the threshold.
    static func processedMask(_ mask: Mask, settings: InpaintSettings) -> Mask {
        var result = mask
        if settings.growPixels > 0 {
            result = MaskMorphology.dilatedWithDisc(mask, radius: settings.growPixels)
        } else if settings.growPixels < 0 {
            result = MaskMorphology.erodedWithDisc(mask, radius: -settings.growPixels)
        }
        let blend = settings.blendPixels
        if blend > 0 {
            let side = Int((1.5 * Double(blend) / 4 + 1).rounded(.up))
            result = MaskMorphology.dilatedWithSquare(result, radius: side / 2)
            result = MaskGaussianBlur.blurred(result, sigma: Double(blend) / 8)
        }
        let threshold = settings.hipassThreshold
        result.values = result.values.map { $0 < threshold ? 0 : $0 }
        return result
    }

    /// Returns the bounding box of the non-zero values, grown by `factor` and clamped to the mask.
    static func contextBox(of mask: Mask, factor: Double) -> InpaintRect {
        guard var box = boundingBox(of: mask) else {
            return InpaintRect(x: 0, y: 0, width: mask.width, height: mask.height)
        }
        guard factor >= 1.01 else { return box }

        // ComfyUI-Inpaint-CropAndStitch uses Python's round(), which rounds half to even.
        let growX = Int((Double(box.width) * (factor - 1) / 2).rounded(.toNearestOrEven))
        let growY = Int((Double(box.height) * (factor - 1) / 2).rounded(.toNearestOrEven))
        let left = max(0, box.x - growX)
        let top = max(0, box.y - growY)
        let right = min(mask.width, box.x + box.width + growX)
        let bottom = min(mask.height, box.y + box.height + growY)
        box = InpaintRect(x: left, y: top, width: right - left, height: bottom - top)
        return box
    }

    static func boundingBox(of mask: Mask) -> InpaintRect? {
        var minX = mask.width, minY = mask.height, maxX = -1, maxY = -1
        for y in 0..<mask.height {
            for x in 0..<mask.width where mask.values[y * mask.width + x] != 0 {
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return InpaintRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// Returns the model's input size for a context box, rounded up to a multiple of 16.
    static func targetSize(for box: InpaintRect, settings: InpaintSettings) -> (width: Int, height: Int) {
        let size =
            settings.target?.resolve(width: box.width, height: box.height)
            ?? KontextResolution.nearest(width: box.width, height: box.height)
        let multiple = TargetSize.granularity
        let roundUp = { (value: Int) in max(multiple, (value + multiple - 1) / multiple * multiple) }
        return (roundUp(size.width), roundUp(size.height))
    }
}
