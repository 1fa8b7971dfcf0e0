/// A dense float32 array with a row-major shape: the one value type every engine stage passes on.
///
/// The engine computes in float32 whatever the weights are stored in; weights are converted when
/// a layer is loaded and released when it is done.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// Wraps `storage`, which must hold exactly the product of `shape` values.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            shape.reduce(1, *) == storage.count,
            "shape \(shape) needs \(shape.reduce(1, *)) values, got \(storage.count)"
        )
        self.shape = shape
        self.storage = storage
    }

    /// Creates a tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// Returns the same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The size of the last dimension (the row length of a matrix view), 1 for a scalar.
    public var rowLength: Int { shape.last ?? 1 }
    /// The number of rows when the tensor is viewed as a matrix over its last dimension.
    public var rowCount: Int { rowLength == 0 ? 0 : count / rowLength }

    /// Rows `range` of the matrix view, as a new tensor of shape `[range.count, rowLength]`.
    public func rows(_ range: Range<Int>) -> Tensor {
        let width = rowLength
        return Tensor(
            shape: [range.count, width],
            storage: Array(storage[(range.lowerBound * width)..<(range.upperBound * width)])
        )
    }

    /// Stacks matrices with the same row length one below the other.
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        let width = parts.first?.rowLength ?? 0
        precondition(parts.allSatisfy { $0.rowLength == width }, "row lengths differ")
        var out: [Float] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { out.append(contentsOf: part.storage) }
        return Tensor(shape: [out.count / max(width, 1), width], storage: out)
    }

    /// The largest absolute difference to `other`, which must have the same shape.
    public func maxAbsoluteDifference(to other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var worst: Float = 0
        for index in storage.indices {
            worst = max(worst, abs(storage[index] - other.storage[index]))
        }
        return worst
    }

    /// The largest absolute value, the scale a difference is judged against.
    public var maxMagnitude: Float {
        storage.reduce(0) { max($0, abs($1)) }
    }
}
