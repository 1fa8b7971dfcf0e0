internal import CFluxKernels

/// Elementwise and row-wise operations on float32 tensors.
///
/// Row-wise operations treat a tensor as a matrix over its last dimension. Reductions accumulate in
/// Double where float32 sums over thousands of values would drift from PyTorch.
public enum Ops {
    /// Adds `vector` to every row of `matrix`, whose rows have vector.count columns.
    static func addRowVector(_ matrix: MatrixSlice, _ vector: [Float]) {
        precondition(matrix.columns == vector.count, "a vector of \(vector.count) for rows of \(matrix.columns)")
        let width = matrix.columns
        vector.withUnsafeBufferPointer { add in
            parallelChunks(matrix.rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                for row in range { fk_add(matrix.row(row), add.baseAddress, width) }
            }
        }
    }

    /// LayerNorm over the last dimension; `weight` and `bias` are optional affine terms.
    public static func layerNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float) -> Tensor {
        var out = x
        let width = x.rowLength
        precondition(weight.map { $0.count == width } ?? true, "a LayerNorm weight of \(weight?.count ?? 0) for rows of \(width)")
        precondition(bias.map { $0.count == width } ?? true, "a LayerNorm bias of \(bias?.count ?? 0) for rows of \(width)")
        out.withMatrix { matrix in
            withOptionalPointer(weight) { gamma in
                withOptionalPointer(bias) { beta in
                    parallelChunks(matrix.rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                        for row in range { fk_layer_norm(matrix.row(row), width, gamma, beta, epsilon) }
                    }
                }
            }
        }
        return out
    }

    /// RMSNorm over the last dimension: x / sqrt(mean(x²) + eps) · scale.
    public static func rmsNorm(_ x: Tensor, scale: Tensor?, epsilon: Float) -> Tensor {
        var out = x
        let width = x.rowLength
        precondition(scale.map { $0.count == width } ?? true, "an RMSNorm scale of \(scale?.count ?? 0) for rows of \(width)")
        out.withMatrix { matrix in
            withOptionalPointer(scale) { gamma in
                parallelChunks(matrix.rows, minimumChunk: max(1, 65536 / max(width, 1))) { range in
                    for row in range { fk_rms_norm(matrix.row(row), width, gamma, epsilon) }
                }
            }
        }
        return out
    }

    /// Calls `body` with a pointer to the tensor's values, or with nil when there is no tensor (the
    /// C kernels then skip that term). An empty array's buffer may still have an address, so nil
    /// must come from the missing tensor, not from the buffer.
    private static func withOptionalPointer<Result>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> Result) -> Result {
        guard let tensor else { return body(nil) }
        return tensor.storage.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// RMSNorm in place over each group of `scale.count` consecutive values in every row of
    /// `matrix` (one group per attention head): x / sqrt(mean(x²) + eps) · scale.
    static func rmsNormGroups(_ matrix: MatrixSlice, scale: [Float], epsilon: Float) {
        let size = scale.count
        precondition(size > 0 && matrix.columns % size == 0, "groups of \(size) do not divide rows of \(matrix.columns)")
        let groups = matrix.columns / size
        scale.withUnsafeBufferPointer { gamma in
            parallelChunks(matrix.rows, minimumChunk: max(1, 65536 / max(matrix.columns, 1))) { range in
                for row in range {
                    for group in 0..<groups { fk_rms_norm(matrix.row(row) + group * size, size, gamma.baseAddress, epsilon) }
                }
            }
        }
    }

    /// GELU (tanh) in place on every row of `matrix`.
    static func geluTanh(in matrix: MatrixSlice) {
        parallelChunks(matrix.rows, minimumChunk: max(1, 16384 / max(matrix.columns, 1))) { range in
            for row in range { fk_gelu_tanh(matrix.row(row), matrix.columns) }
        }
    }

    /// Applies `transform` to every element, in parallel.
    public static func map(_ x: Tensor, _ transform: @Sendable (Float) -> Float) -> Tensor {
        var out = x
        out.storage.withUnsafeMutableBufferPointer { values in
            parallelChunks(values.count) { range in
                for index in range { values[index] = transform(values[index]) }
            }
        }
        return out
    }

    /// GELU with the tanh approximation (PyTorch `gelu(approximate="tanh")`, T5's `gelu_new`).
    ///
    /// Computed as x·σ(2u), which equals 0.5·x·(1 + tanh(u)) up to float32 rounding, with one
    /// vectorised exponential per value.
    public static func geluTanh(_ x: consuming Tensor) -> Tensor {
        apply(fk_gelu_tanh, to: x)
    }

    /// SiLU: x·σ(x).
    public static func silu(_ x: consuming Tensor) -> Tensor {
        apply(fk_silu, to: x)
    }

    /// CLIP's quick GELU: x·σ(1.702x).
    public static func quickGelu(_ x: consuming Tensor) -> Tensor {
        apply(fk_quick_gelu, to: x)
    }

    /// Runs an in-place C kernel over chunks of the values on all cores. A tensor passed as the
    /// last use of its storage is changed in place, without a copy.
    private static func apply(
        _ kernel: @convention(c) (UnsafeMutablePointer<Float>?, Int) -> Void,
        to x: consuming Tensor
    ) -> Tensor {
        var out = x
        out.storage.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress else { return }
            parallelChunks(values.count, minimumChunk: 16384) { range in
                kernel(base + range.lowerBound, range.count)
            }
        }
        return out
    }

    /// Elementwise sum of two tensors of the same shape.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
        var out = a
        out.storage.withUnsafeMutableBufferPointer { values in
            b.storage.withUnsafeBufferPointer { other in
                parallelChunks(values.count) { range in
                    for index in range { values[index] += other[index] }
                }
            }
        }
        return out
    }

    /// Elementwise product of two tensors of the same shape.
    public static func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
        var out = a
        out.storage.withUnsafeMutableBufferPointer { values in
            b.storage.withUnsafeBufferPointer { other in
                parallelChunks(values.count) { range in
                    for index in range { values[index] *= other[index] }
                }
            }
        }
        return out
    }

    /// Replaces a row by exp(x − max(x)) and returns the sum of the new values, so a caller can
    /// divide by the sum later (after a product with V, on fewer values). Returns 0 for a row
    /// whose values are all −∞, leaving it unchanged.
    @inline(__always)
    static func exponentiateRow(_ row: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        fk_exponentiate_row(row, count)
    }

    /// Returns exp(x) for each value with the engine's vectorised exponential (within 2 ulp of
    /// glibc's `expf`; 0 below −87.34, +∞ above 88.72).
    static func exponentials(_ values: [Float]) -> [Float] {
        var out = values
        values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                fk_exp(input.baseAddress, output.baseAddress, input.count)
            }
        }
        return out
    }
}
