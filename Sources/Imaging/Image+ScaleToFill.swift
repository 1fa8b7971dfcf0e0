extension Image {
    /// This image scaled to exactly `width` × `height` without distortion: a centred crop to the target's
    /// aspect ratio (as ComfyUI's `crop: "center"` does), then a resize with `filter`.
    public func scaledToFill(width targetWidth: Int, height targetHeight: Int, filter: ResampleFilter = .lanczos3) -> Image {
        guard targetWidth != width || targetHeight != height else { return self }
        let region = KontextResolution.centerCrop(width: width, height: height, toAspectOf: (targetWidth, targetHeight))
        return resized(region: region, width: targetWidth, height: targetHeight, filter: filter)
    }
}
