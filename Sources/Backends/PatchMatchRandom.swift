/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
///
/// The fill uses its own generator, never the system's, so that one seed gives the same output on every
/// run and every machine.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// Creates the generator for one independent stream of a seed, for example one band of one pass.
    init(seed: UInt64, stream: UInt64) {
        state = seed ^ SplitMix64.mix(stream &+ 0x9E37_79B9_7F4A_7C15)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// Returns a value in `0..<bound` with Lemire's multiply-shift reduction; `bound` must be positive.
    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "The bound of a random index must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Returns a value in `-radius...radius`.
    mutating func offset(within radius: Int) -> Int {
        next(below: 2 * radius + 1) - radius
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
