internal import CFluxKernels

/// Group normalization over a channel-first image `[C, H, W]` (PyTorch `nn.GroupNorm`): the channels
/// split into `groups` consecutive sets, each normalized by its own mean and variance over all its
/// pixels, then scaled and shifted per channel.
public struct GroupNorm: Sendable {
    public var groups: Int
    public var weight: Tensor
    public var bias: Tensor
    public var epsilon: Float

    public init(groups: Int, weight: Tensor, bias: Tensor, epsilon: Float = 1e-6) {
        precondition(groups >= 1 && weight.count % groups == 0, "\(weight.count) channels do not split into \(groups) groups")
        precondition(bias.count == weight.count, "bias \(bias.shape) does not match weight \(weight.shape)")
        self.groups = groups
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    /// Loads `<prefix>.weight` and `<prefix>.bias`, both `[channels]`.
    public init(_ store: any WeightStore, _ prefix: String, channels: Int, groups: Int, epsilon: Float = 1e-6) throws {
        let weight = try store.load(prefix + ".weight", shape: [channels])
        let bias = try store.load(prefix + ".bias", shape: [channels])
        self.init(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    }

    public var channels: Int { weight.count }

    /// The normalized image, followed by SiLU (x·σ(x)) when `silu` is set, as every VAE norm
    /// except the attention's is.
    public func callAsFunction(_ x: Tensor, silu: Bool = false) -> Tensor {
        var out = x
        apply(to: &out, silu: silu)
        return out
    }

    /// Normalizes `x` in place.
    public func apply(to x: inout Tensor, silu: Bool = false) {
        precondition(x.rank == 3 && x.shape[0] == channels, "input \(x.shape) for a GroupNorm of \(channels) channels")
        let plane = x.shape[1] * x.shape[2]
        let groupChannels = channels / groups
        let statistics = groupStatistics(x.storage, plane: plane)
        weight.storage.withUnsafeBufferPointer { gamma in
            bias.storage.withUnsafeBufferPointer { beta in
                x.storage.withUnsafeMutableBufferPointer { values in
                    parallelChunks(channels, minimumChunk: max(1, 32768 / max(plane, 1))) { range in
                        for channel in range {
                            let (mean, inverse) = statistics[channel / groupChannels]
                            let scale = gamma[channel] * inverse
                            let shift = beta[channel] - mean * scale
                            Self.normalizePlane(values.baseAddress, channel * plane, plane, scale, shift, silu)
                        }
                    }
                }
            }
        }
    }

    /// The mean and 1/√(variance + ε) of every group. Two passes (mean, then centred squares) with
    /// Double accumulation keep the variance accurate when the mean is large against the spread.
    private func groupStatistics(_ values: [Float], plane: Int) -> [(mean: Float, inverse: Float)] {
        let groupSize = channels / groups * plane
        var statistics = [(mean: Float, inverse: Float)](repeating: (0, 0), count: groups)
        let epsilon = Double(epsilon)
        values.withUnsafeBufferPointer { input in
            statistics.withUnsafeMutableBufferPointer { results in
                parallelChunks(groups, minimumChunk: max(1, 65536 / max(groupSize, 1))) { range in
                    for group in range {
                        let start = group * groupSize
                        // NOTE: baseAddress is non-nil because the input contains at least one group of values.
                        let values = input.baseAddress! + start
                        let mean = fk_centred_sum(values, groupSize, 0, 0) / Double(groupSize)
                        let squares = fk_centred_sum(values, groupSize, Float(mean), 1)
                        results[group] = (Float(mean), Float(1 / (squares / Double(groupSize) + epsilon).squareRoot()))
                    }
                }
            }
        }
        return statistics
    }

    @inline(__always)
    private static func normalizePlane(
        _ base: UnsafeMutablePointer<Float>?,
        _ start: Int,
        _ count: Int,
        _ scale: Float,
        _ shift: Float,
        _ silu: Bool
    ) {
        guard let values = base.map({ $0 + start }) else { return }
        fk_scale_shift(values, count, scale, shift, silu ? 1 : 0)
    }
}
