import Foundation

/// The flow-matching Euler schedule of FLUX.1 [dev] and Kontext with the resolution-dependent shift,
/// as diffusers' `FlowMatchEulerDiscreteScheduler` (use_dynamic_shifting, base_shift 0.5, max_shift
/// 1.15, base_image_seq_len 256, max_image_seq_len 4096) computes it for `FluxKontextPipeline`.
public enum FlowMatchSchedule {
    public static let baseShift = 0.5
    public static let maxShift = 1.15
    public static let baseTokenCount = 256
    public static let maxTokenCount = 4096

    /// μ, linear in the number of target tokens: 0.5 at 256 tokens, 1.15 at 4096. Reference tokens
    /// do not count.
    public static func shift(targetTokens: Int) -> Double {
        let slope = (maxShift - baseShift) / Double(maxTokenCount - baseTokenCount)
        let intercept = baseShift - slope * Double(baseTokenCount)
        return Double(targetTokens) * slope + intercept
    }

    /// `steps + 1` sigmas from 1 down to 0: linspace(1, 1/steps, steps) shifted by
    /// σ' = e^μ / (e^μ + (1/σ − 1)), then a final 0.
    ///
    /// The linspace is rounded to float32 and the shift is evaluated in float32, as diffusers does
    /// with NumPy float32 arrays, so the values match torch's exactly or to one unit in the last place.
    public static func sigmas(steps: Int, targetTokens: Int) -> [Float] {
        precondition(steps > 0, "a schedule needs at least one step")
        let expMu = Float(exp(shift(targetTokens: targetTokens)))
        var sigmas: [Float] = []
        for index in 0..<steps {
            // NumPy's linspace: start + index·step, with the last value set to the stop exactly.
            var linear = steps == 1 ? 1 : 1 + Double(index) * ((1 / Double(steps) - 1) / Double(steps - 1))
            if index == steps - 1 { linear = 1 / Double(steps) }
            let sigma = Float(linear)
            sigmas.append(expMu / (expMu + (1 / sigma - 1)))
        }
        return sigmas + [0]
    }

    /// Applies one Euler step in place: x ← x + (σ_next − σ)·v.
    public static func eulerStep(_ latents: inout Tensor, velocity: Tensor, sigma: Float, nextSigma: Float) {
        precondition(latents.shape == velocity.shape, "latents \(latents.shape) and velocity \(velocity.shape) differ")
        let delta = nextSigma - sigma
        velocity.storage.withUnsafeBufferPointer { v in
            latents.storage.withUnsafeMutableBufferPointer { x in
                parallelChunks(x.count) { range in
                    for index in range { x[index] += delta * v[index] }
                }
            }
        }
    }
}
