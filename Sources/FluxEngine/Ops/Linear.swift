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
        var shape = x.shape
        shape[shape.count - 1] = outputFeatures
        var out = Tensor.uninitialized(shape: shape)
        x.withReadOnlyMatrix { input in
            out.withMatrix { output in apply(input, into: output) }
        }
        return out
    }

    /// Writes x·Wᵀ + b into `output`, or adds x·Wᵀ to it when `accumulate` is set (without the bias,
    /// which the first of several accumulating products adds).
    ///
    /// `weightColumns` multiplies by a column range of W only, the part of a fused projection that
    /// acts on `x`; `x` then has `weightColumns.count` columns.
    func apply(_ x: MatrixSlice, weightColumns: Range<Int>? = nil, into output: MatrixSlice, accumulate: Bool = false) {
        let columns = weightColumns ?? 0..<inputFeatures
        precondition(x.columns == columns.count, "input rows of \(x.columns) for weight columns \(columns) of \(weight.shape)")
        precondition(output.columns == outputFeatures && output.rows == x.rows, "output \(output.rows)x\(output.columns) for \(x.rows) rows of a Linear of \(weight.shape)")
        guard x.rows > 0 else { return }
        weight.storage.withUnsafeBufferPointer { weights in
            guard let b = weights.baseAddress else { return }
            BLAS.gemm(
                m: x.rows, n: outputFeatures, k: columns.count,
                a: x.base, lda: x.stride, b: b + columns.lowerBound, ldb: inputFeatures, bTransposed: true,
                c: output.base, ldc: output.stride, beta: accumulate ? 1 : 0
            )
        }
        if !accumulate, let bias { Ops.addRowVector(output, bias.storage) }
    }
}
