/// A fixed-size heap buffer that the worker threads of one fill step share.
///
/// The buffer does no locking. Sharing it is safe only because every parallel step of the fill has its
/// workers write disjoint indices and read only indices that no worker writes during that step.
// NOTE: @unchecked because of the rule above, which the solver's parallel steps keep and the compiler
// cannot check.
final class FillBuffer<Element: Sendable>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(repeating value: Element, count: Int) {
        base = UnsafeMutablePointer<Element>.allocate(capacity: count)
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    init(_ elements: [Element]) {
        count = elements.count
        base = UnsafeMutablePointer<Element>.allocate(capacity: count)
        elements.withUnsafeBufferPointer { buffer in
            guard let source = buffer.baseAddress else { return }
            base.initialize(from: source, count: buffer.count)
        }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(index: Int) -> Element {
        get { base[index] }
        set { base[index] = newValue }
    }

    /// Copies the first `count` elements of `other` into this buffer.
    func assign(from other: FillBuffer<Element>) {
        precondition(other.count == count, "Only buffers of one size can be copied into each other")
        base.update(from: other.base, count: count)
    }
}

/// Counts of set flags over axis-aligned boxes in O(1) per query, from a summed-area table.
struct SummedAreaTable {
    private let width: Int
    private let height: Int
    /// Row-major sums with one extra leading row and column of zeros, so `sums[(y + 1) * (width + 1) + x + 1]`
    /// counts the flags in the box from (0, 0) to (x, y) inclusive.
    private let sums: [Int32]

    init(width: Int, height: Int, flags: FillBuffer<Bool>) {
        self.width = width
        self.height = height
        let stride = width + 1
        var sums = [Int32](repeating: 0, count: stride * (height + 1))
        for y in 0..<height {
            var rowSum: Int32 = 0
            for x in 0..<width {
                rowSum += flags[y * width + x] ? 1 : 0
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + rowSum
            }
        }
        self.sums = sums
    }

    /// Returns the number of set flags in the box from (x0, y0) to (x1, y1) inclusive, clipped to the grid.
    func count(x0: Int, y0: Int, x1: Int, y1: Int) -> Int {
        let left = max(x0, 0)
        let top = max(y0, 0)
        let right = min(x1, width - 1)
        let bottom = min(y1, height - 1)
        guard left <= right, top <= bottom else { return 0 }
        let stride = width + 1
        let total =
            sums[(bottom + 1) * stride + right + 1] - sums[top * stride + right + 1]
            - sums[(bottom + 1) * stride + left] + sums[top * stride + left]
        return Int(total)
    }
}
