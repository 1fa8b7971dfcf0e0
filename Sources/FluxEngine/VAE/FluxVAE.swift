/// The FLUX autoencoder (16 latent channels): encodes an image to scaled latents and decodes them.
///
/// It reads BFL `ae.safetensors` names or diffusers `AutoencoderKL` names and takes the channel
/// counts from the weights. The weights stay in the store and each layer is loaded when it runs,
/// so only one block's weights are in float32 memory at a time.
public struct FluxVAE: Sendable {
    /// Receives each stage's output: `encoder.conv_in`, `encoder.down.<level>`, `encoder.mid`,
    /// `encoder.out` (mean and log-variance), then `decoder.conv_in`, `decoder.mid`,
    /// `decoder.up.<level>` (BFL level numbers, from the deepest up) and `decoder.out`.
    public typealias Observer = (_ stage: String, _ value: Tensor) -> Void

    /// Factor applied to the shifted latent mean. FLUX uses 0.3611.
    public var scaleFactor: Float
    /// Offset subtracted from the latent mean before scaling. FLUX uses 0.1159.
    public var shiftFactor: Float
    /// GroupNorm group count, which the weights do not record. FLUX uses 32.
    public let groups: Int

    let weights: VAEWeights
    let architecture: VAEArchitecture

    /// Checks the tensor names in `weights` and reads the channel counts from their shapes.
    /// Throws `EngineError` naming the first missing tensor or every unknown one.
    public init(weights: any WeightStore, groups: Int = 32, scaleFactor: Float = 0.3611, shiftFactor: Float = 0.1159) throws {
        let mapped = try VAEWeights(weights)
        self.weights = mapped
        self.architecture = try VAEArchitecture(mapped, groups: groups)
        self.groups = groups
        self.scaleFactor = scaleFactor
        self.shiftFactor = shiftFactor
    }

    /// Channels of the latent (16 for FLUX).
    public var latentChannels: Int { architecture.latentChannels }
    /// Image pixels per latent pixel along each side (8 for FLUX).
    public var downsamplingFactor: Int { 1 << (architecture.levels - 1) }

    /// Encodes `image` `[3, H, W]` with values in [-1, 1] into `[16, H/8, W/8]`: the posterior mean,
    /// shifted and scaled as (mean − shift)·scale.
    public func encode(_ image: Tensor, observer: Observer? = nil) throws -> Tensor {
        try checkImage(image)
        var h = try runEncoder(image, observer: observer)
        let plane = h.shape[1] * h.shape[2]
        h = Tensor(shape: [latentChannels, h.shape[1], h.shape[2]], storage: Array(h.storage[0..<(latentChannels * plane)]))
        let (scale, shift) = (scaleFactor, shiftFactor)
        return Ops.map(h) { ($0 - shift) * scale }
    }

    /// Decodes scaled latents `[16, h, w]` into an image `[3, 8h, 8w]`, nominally in [-1, 1]
    /// (not clamped), after undoing the scaling as z/scale + shift.
    public func decode(_ latents: Tensor, observer: Observer? = nil) throws -> Tensor {
        guard latents.rank == 3, latents.shape[0] == latentChannels else {
            throw EngineError.invalidArgument(
                "VAE latents have shape \(latents.shape), expected [\(latentChannels), height, width]"
            )
        }
        let (scale, shift) = (scaleFactor, shiftFactor)
        return try runDecoder(Ops.map(latents) { $0 / scale + shift }, observer: observer)
    }

    private func checkImage(_ image: Tensor) throws {
        guard image.rank == 3, image.shape[0] == architecture.imageChannels else {
            throw EngineError.invalidArgument(
                "VAE input image has shape \(image.shape), expected [\(architecture.imageChannels), height, width]"
            )
        }
        let factor = downsamplingFactor
        guard image.shape[1] > 0, image.shape[2] > 0, image.shape[1] % factor == 0, image.shape[2] % factor == 0 else {
            throw EngineError.invalidArgument(
                "VAE input image is \(image.shape[2])x\(image.shape[1]) pixels; resize or crop it so width and height are positive multiples of \(factor)"
            )
        }
    }
}
