internal import FluxEngine
internal import Imaging

/// Conversions between 8-bit RGB images and the VAE's channel-first float tensors.
///
/// The VAE takes pixels as value/127.5 − 1, which is BFL's convention and equals diffusers' /255·2−1.
/// Its output comes back as clamp((x + 1)/2, 0, 1)·255, rounded half to even as diffusers' NumPy
/// post-processing does.
enum ImageTensors {
    /// [3, height, width] in [-1, 1] from an RGB image.
    static func tensor(from image: Image) -> Tensor {
        let rgb = image.converted(to: .rgb)
        let plane = rgb.width * rgb.height
        var values = [Float](repeating: 0, count: 3 * plane)
        for pixel in 0..<plane {
            for channel in 0..<3 {
                values[channel * plane + pixel] = Float(rgb.pixels[pixel * 3 + channel]) / 127.5 - 1
            }
        }
        return Tensor(shape: [3, rgb.height, rgb.width], storage: values)
    }

    /// Converts a [3, height, width] tensor in about [-1, 1] to an RGB image.
    static func image(from tensor: Tensor) -> Image {
        precondition(tensor.rank == 3 && tensor.shape[0] == 3, "expected [3, H, W], got \(tensor.shape)")
        let height = tensor.shape[1]
        let width = tensor.shape[2]
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        for pixel in 0..<plane {
            for channel in 0..<3 {
                let value = min(max((tensor.storage[channel * plane + pixel] + 1) / 2, 0), 1) * 255
                pixels[pixel * 3 + channel] = UInt8(value.rounded(.toNearestOrEven))
            }
        }
        return Image(width: width, height: height, layout: .rgb, pixels: pixels)
    }
}
