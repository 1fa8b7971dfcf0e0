/// The float32 log and sin/cos polynomials of PyTorch's `avx_mathfun.h` (Cephes by way of Julien
/// Pommier's `sse_mathfun`), written out per element.
///
/// torch's build contracts some multiply-add pairs into FMA instructions; the `addingProduct` calls
/// mark exactly those, found by matching torch 2.15's output bit for bit. Plain `*` and `+` stay
/// separately rounded because Swift does not contract them.
enum TorchMath {
    private static let logCoefficients: [Float] = [
        7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
        -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
    ]

    /// Natural logarithm of a positive normal float, as `log256_ps`.
    static func log(_ input: Float) -> Float {
        let clamped = max(input, Float(bitPattern: 0x0080_0000))
        let bits = clamped.bitPattern
        var exponent = Float(Int32(bitPattern: bits >> 23) - 127) + 1
        // The mantissa scaled into [0.5, 1).
        var x = Float(bitPattern: (bits & ~0x7F80_0000) | Float(0.5).bitPattern)
        if x < 0.707106781186547524 {
            exponent -= 1
            x = (x - 1) + x
        } else {
            x -= 1
        }
        let z = x * x
        var y = logCoefficients[0]
        for coefficient in logCoefficients.dropFirst() { y = coefficient.addingProduct(y, x) }
        y = y * x
        y = (exponent * -2.12194440e-4).addingProduct(y, z)
        y = y.addingProduct(-z, 0.5)
        x = x + y
        return x.addingProduct(exponent, 0.693359375)
    }

    /// sin and cos of a non-negative float below 8192, as `sincos256_ps`.
    static func sinCos(_ input: Float) -> (sin: Float, cos: Float) {
        var x = abs(input)
        var j = Int32(x * 1.27323954473516)  // 4/π, truncated toward zero
        j = (j + 1) & ~1
        let y = Float(j)
        let swapSineSign = j & 4 != 0
        let swapPolynomials = j & 2 != 0
        let cosineNegative = (~(j - 2)) & 4 != 0
        // Extended-precision reduction x − y·π/4 in three parts.
        x = x.addingProduct(y, -0.78515625)
        x = x.addingProduct(y, -2.4187564849853515625e-4)
        x = x.addingProduct(y, -3.77489497744594108e-8)
        let z = x * x

        var cosine: Float = 2.443315711809948e-5
        cosine = Float(-1.388731625493765e-3).addingProduct(cosine, z)
        cosine = Float(4.166664568298827e-2).addingProduct(cosine, z)
        cosine = cosine * z
        cosine = (-(z * 0.5)).addingProduct(cosine, z)
        cosine = cosine + 1

        var sine: Float = -1.9515295891e-4
        sine = Float(8.3321608736e-3).addingProduct(sine, z)
        sine = Float(-1.6666654611e-1).addingProduct(sine, z)
        sine = sine * z
        sine = x.addingProduct(sine, x)

        var sinResult = swapPolynomials ? cosine : sine
        var cosResult = swapPolynomials ? sine : cosine
        if swapSineSign != (input < 0) { sinResult = -sinResult }
        if cosineNegative { cosResult = -cosResult }
        return (sinResult, cosResult)
    }
}
