extension Image {
    /// This image scaled to exactly `width` × `height` without distortion: a centred crop to the target's
    /// aspect ratio (as ComfyUI's `crop: "center"` does), then a resize with `filter`.
    public func scaledToFill(width targetWidth: Int, height targetHeight: Int, filter: ResampleFilter = .lanczos3) -> Image {
        guard targetWidth != width || targetHeight != height else { return self }
        let region = KontextResolution.centerCrop(width: width, height: height, toAspectOf: (targetWidth, targetHeight))
        let cropped = region.width == width && region.height == height
            ? self
            : self.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
        return cropped.resized(width: targetWidth, height: targetHeight, filter: filter)
    }
}
