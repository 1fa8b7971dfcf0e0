/// A fully connected layer in PyTorch's layout: weight [out, in], optional bias [out].
public struct Linear: Sendable {
    public var weight: Tensor
    public var bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "a Linear weight is 2-D, got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "bias \(bias.shape) does not match weight \(weight.shape)") }
        self.weight = weight
        self.bias = bias
    }

    /// Loads `<prefix>.weight` and, when present, `<prefix>.bias`.
    public init(_ store: any WeightStore, _ prefix: String, bias hasBias: Bool = true) throws {
        let weight = try store.load(prefix + ".weight")
        guard weight.rank == 2 else {
            throw EngineError.unexpectedShape(name: prefix + ".weight", expected: [-1, -1], found: weight.shape)
        }
        var bias: Tensor?
        if hasBias {
            bias = try store.load(prefix + ".bias", shape: [weight.shape[0]])
        }
        self.init(weight: weight, bias: bias)
    }

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    /// y = x·Wᵀ + b over the rows of `x` ([rows, in] or any shape whose last dimension is `in`).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rowLength == inputFeatures, "input rows of \(x.rowLength) for a Linear of \(weight.shape)")
        let rows = x.rowCount
        let outputs = outputFeatures
        var out = [Float](repeating: 0, count: rows * outputs)
        x.storage.withUnsafeBufferPointer { input in
            weight.storage.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { output in
                    guard let a = input.baseAddress, let b = weights.baseAddress, let c = output.baseAddress else { return }
                    BLAS.gemm(
                        m: rows, n: outputs, k: inputFeatures,
                        a: a, lda: inputFeatures, b: b, ldb: inputFeatures, bTransposed: true,
                        c: c, ldc: outputs
                    )
                }
            }
        }
        if let bias { Ops.addRowVector(&out, bias.storage) }
        var shape = x.shape
        shape[shape.count - 1] = outputs
        return Tensor(shape: shape, storage: out)
    }
}
