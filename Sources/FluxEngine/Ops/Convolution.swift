internal import CFluxKernels

/// A 2-D convolution in PyTorch's layout on one channel-first image `[C, H, W]`.
///
/// Stride-1 kernels run as one `cblas_sgemm` per kernel tap over padded bands of the input (see
/// `convolveShifted`). Strided convolutions run as im2col plus `cblas_sgemm`, tiled
/// over output rows so the column matrix stays within `columnBudget` floats whatever the image
/// size. Untiled, a 3×3 convolution over 128 channels of a 1024×1024 image would need a 4.6 GB
/// column matrix.
public struct Conv2d: Sendable {
    /// Zero padding on each side, in input pixels. The VAE downsampler pads right and bottom only.
    public struct Padding: Sendable, Equatable {
        public var top: Int
        public var bottom: Int
        public var left: Int
        public var right: Int

        public init(top: Int, bottom: Int, left: Int, right: Int) {
            precondition(min(top, bottom, left, right) >= 0, "negative padding")
            self.top = top
            self.bottom = bottom
            self.left = left
            self.right = right
        }

        /// Returns the same padding on all four sides.
        public static func uniform(_ amount: Int) -> Padding {
            Padding(top: amount, bottom: amount, left: amount, right: amount)
        }
    }

    /// Floats in one column-matrix tile: 32 MB, about 7 output rows of a 3×3 convolution over
    /// 128 channels at width 1024.
    // NOTE: this size is not tuned. A tile that fits in cache might be faster, but timings on the
    // shared 2-core test machine were too noisy to decide.
    public static let defaultColumnBudget = 8 << 20

    /// Kernel `[out, in, kernelHeight, kernelWidth]`.
    public var weight: Tensor
    public var bias: Tensor?
    public var stride: Int
    public var padding: Padding

    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Padding = .uniform(0)) {
        precondition(weight.rank == 4, "a Conv2d weight is 4-D, got \(weight.shape)")
        precondition(stride >= 1, "stride \(stride) is below 1")
        if let bias { precondition(bias.count == weight.shape[0], "bias \(bias.shape) does not match weight \(weight.shape)") }
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
    }

    /// Loads `<prefix>.weight` of shape `[outputChannels, inputChannels, kernel, kernel]` and `<prefix>.bias`.
    public init(
        _ store: any WeightStore,
        _ prefix: String,
        inputChannels: Int,
        outputChannels: Int,
        kernel: Int,
        stride: Int = 1,
        padding: Padding
    ) throws {
        let weight = try store.load(prefix + ".weight", shape: [outputChannels, inputChannels, kernel, kernel])
        let bias = try store.load(prefix + ".bias", shape: [outputChannels])
        self.init(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public var outputChannels: Int { weight.shape[0] }
    public var inputChannels: Int { weight.shape[1] }
    public var kernelHeight: Int { weight.shape[2] }
    public var kernelWidth: Int { weight.shape[3] }

    /// The output height and width for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let paddedHeight = height + padding.top + padding.bottom
        let paddedWidth = width + padding.left + padding.right
        return ((paddedHeight - kernelHeight) / stride + 1, (paddedWidth - kernelWidth) / stride + 1)
    }

    /// Convolves `x` of shape `[inputChannels, H, W]`.
    ///
    /// - Parameters:
    ///   - upsampling: reads the input as if it were first enlarged by this factor with nearest
    ///     neighbour sampling (PyTorch `interpolate(mode="nearest")`), without building the
    ///     enlarged image.
    ///   - columnBudget: the maximum number of floats in one tile's scratch matrix: the column
    ///     matrix, or the output block of the tap-by-tap path. Tests pass small values to force
    ///     many tiles.
    /// - Returns: `[outputChannels, H', W']`.
    public func callAsFunction(_ x: Tensor, upsampling: Int = 1, columnBudget: Int = defaultColumnBudget) -> Tensor {
        precondition(x.rank == 3 && x.shape[0] == inputChannels, "input \(x.shape) for a Conv2d of \(weight.shape)")
        precondition(upsampling >= 1, "upsampling factor \(upsampling) is below 1")
        let source = ConvolutionSource(
            channels: x.shape[0], height: x.shape[1] * upsampling, width: x.shape[2] * upsampling, upsampling: upsampling
        )
        let size = outputSize(height: source.height, width: source.width)
        precondition(size.height > 0 && size.width > 0, "input \(x.shape) is smaller than the kernel \(weight.shape)")
        var out = [Float](repeating: 0, count: outputChannels * size.height * size.width)
        x.storage.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                if isPointwise && upsampling == 1 {
                    multiplyPointwise(input: input, output: output, pixels: size.height * size.width)
                    return
                }
                let geometry = ConvolutionGeometry(
                    source: source, outputHeight: size.height, outputWidth: size.width,
                    kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding
                )
                if canConvolveShifted {
                    convolveShifted(input: input, output: output, geometry: geometry, budget: columnBudget)
                } else {
                    convolveTiled(input: input, output: output, geometry: geometry, columnBudget: columnBudget)
                }
            }
        }
        if let bias { Self.addChannelBias(&out, bias.storage) }
        return Tensor(shape: [outputChannels, size.height, size.width], storage: out)
    }

    /// A 1×1 kernel with stride 1 and no padding is a plain matrix product with the image.
    private var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == .uniform(0)
    }

    private func multiplyPointwise(input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>, pixels: Int) {
        weight.storage.withUnsafeBufferPointer { weights in
            guard let a = weights.baseAddress, let b = input.baseAddress, let c = output.baseAddress else { return }
            BLAS.gemm(
                m: outputChannels, n: pixels, k: inputChannels,
                a: a, lda: inputChannels, b: b, ldb: pixels, bTransposed: false, c: c, ldc: pixels
            )
        }
    }

    /// Adds `bias[c]` to every value of channel plane `c`.
    static func addChannelBias(_ values: inout [Float], _ bias: [Float]) {
        let channels = bias.count
        guard channels > 0 else { return }
        let plane = values.count / channels
        values.withUnsafeMutableBufferPointer { out in
            bias.withUnsafeBufferPointer { add in
                parallelChunks(channels, minimumChunk: max(1, 65536 / max(plane, 1))) { range in
                    for channel in range {
                        // NOTE: baseAddress is non-nil because the output contains one plane per channel.
                        fk_add_scalar(out.baseAddress! + channel * plane, plane, add[channel])
                    }
                }
            }
        }
    }
}
