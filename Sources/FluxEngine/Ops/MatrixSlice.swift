/// A row-major window onto float32 memory that something else owns: `rows` × `columns` values,
/// with consecutive rows `stride` values apart.
///
/// The engine's ops work on column ranges of a larger matrix through it (q, k and v inside a fused
/// projection, the text and image rows of a joint sequence) instead of copying them out. A slice
/// is valid only inside the `withUnsafe…` call that produced its pointer.
struct MatrixSlice {
    let base: UnsafeMutablePointer<Float>
    let rows: Int
    let columns: Int
    let stride: Int

    init(base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
        precondition(columns <= stride || rows <= 1, "a row of \(columns) values does not fit a stride of \(stride)")
        self.base = base
        self.rows = rows
        self.columns = columns
        self.stride = stride
    }

    /// Returns the rows `range` of this slice.
    func rows(_ range: Range<Int>) -> MatrixSlice {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) of a slice with \(rows)")
        return MatrixSlice(base: base + range.lowerBound * stride, rows: range.count, columns: columns, stride: stride)
    }

    /// Returns the columns `range` of this slice.
    func columns(_ range: Range<Int>) -> MatrixSlice {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "columns \(range) of a slice with \(columns)")
        return MatrixSlice(base: base + range.lowerBound, rows: rows, columns: range.count, stride: stride)
    }

    /// Returns the first value of row `index`.
    func row(_ index: Int) -> UnsafeMutablePointer<Float> {
        base + index * stride
    }
}

extension Tensor {
    /// Creates a tensor whose values are not initialised, for an op that writes every value before
    /// anything reads it (a GEMM with beta 0, a copy). It saves the zero-filling pass and, for the
    /// large activations of a transformer block, the page faults that come with it.
    static func uninitialized(shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let storage = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        return Tensor(shape: shape, storage: storage)
    }

    /// Calls `body` with this tensor viewed as a [rowCount, rowLength] matrix that it may change.
    mutating func withMatrix<Result>(_ body: (MatrixSlice) throws -> Result) rethrows -> Result {
        let rows = rowCount
        let columns = rowLength
        return try storage.withUnsafeMutableBufferPointer { buffer in
            try body(MatrixSlice(base: buffer.baseAddress ?? Self.emptyBase, rows: rows, columns: columns, stride: columns))
        }
    }

    /// Calls `body` with this tensor viewed as a [rowCount, rowLength] matrix that it only reads.
    func withReadOnlyMatrix<Result>(_ body: (MatrixSlice) throws -> Result) rethrows -> Result {
        let rows = rowCount
        let columns = rowLength
        return try storage.withUnsafeBufferPointer { buffer in
            // The slice type has one pointer kind for both uses; nothing writes through this one.
            let base = buffer.baseAddress.map { UnsafeMutablePointer(mutating: $0) } ?? Self.emptyBase
            return try body(MatrixSlice(base: base, rows: rows, columns: columns, stride: columns))
        }
    }

    /// A stand-in address for an empty tensor's slice, which no op dereferences.
    nonisolated(unsafe) private static let emptyBase = UnsafeMutablePointer<Float>.allocate(capacity: 1)
}
