import Dispatch

/// The two convolution passes of a Pillow-compatible resize on interleaved 8-bit pixels.
///
/// The horizontal pass runs first and writes 8-bit intermediate rows, then the vertical pass reads
/// them, exactly as Pillow's `ImagingResampleInner` does, so rounding matches Pillow step by step.
enum ResampleConvolution {
    /// An interleaved 8-bit raster, or a rectangular window of a larger one.
    ///
    /// Row `y` of the raster starts at `pixels[origin + y * rowStride]`. A window lets the resize read
    /// a crop in place instead of copying it first.
    struct Raster {
        var width: Int
        var height: Int
        var channels: Int
        var pixels: [UInt8]
        var origin: Int
        var rowStride: Int

        /// Wraps `pixels` as a compact `width` × `height` raster with no row padding.
        init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
            self.init(window: (0, 0, width, height), of: pixels, width: width, channels: channels)
        }

        /// Wraps the `window` of a compact raster that is `width` pixels wide.
        init(window: (x: Int, y: Int, width: Int, height: Int), of pixels: [UInt8], width: Int, channels: Int) {
            self.width = window.width
            self.height = window.height
            self.channels = channels
            self.pixels = pixels
            self.rowStride = width * channels
            self.origin = window.y * rowStride + window.x * channels
        }
    }

    static func resize(_ input: Raster, width: Int, height: Int, filter: ResampleFilter) -> Raster {
        let needsHorizontal = width != input.width
        let needsVertical = height != input.height
        let vertical = ResampleCoefficients(inputSize: input.height, outputSize: height, filter: filter)
        let horizontal = ResampleCoefficients(inputSize: input.width, outputSize: width, filter: filter)

        if needsHorizontal && needsVertical && runsVerticalPassFirst(input, width: width, height: height) {
            let shrunk = verticalPass(input, rowStarts: vertical.starts, coefficients: vertical, height: height)
            return horizontalPass(shrunk, rows: 0..<height, coefficients: horizontal, width: width)
        }

        var current = input
        var rowStarts = vertical.starts
        if needsHorizontal {
            // Only the source rows the vertical pass reads are filtered horizontally.
            let firstRow = vertical.starts[0]
            let endRow = vertical.starts[height - 1] + vertical.counts[height - 1]
            current = horizontalPass(input, rows: firstRow..<endRow, coefficients: horizontal, width: width)
            rowStarts = rowStarts.map { $0 - firstRow }
        }
        if needsVertical {
            current = verticalPass(current, rowStarts: rowStarts, coefficients: vertical, height: height)
        }
        return current
    }

    /// Returns whether Pillow filters columns before rows for this resize.
    ///
    /// NOTE: Pillow 13.0.0 runs the vertical pass first when the height shrinks and
    /// `2 * width - height > 2 * inputWidth - inputHeight`. The rule was inferred from Pillow's output
    /// (it matched all 294 random size pairs tried), not read from its source, so re-check it when the
    /// reference Pillow version changes. The order matters because the intermediate rows are 8-bit.
    static func runsVerticalPassFirst(_ input: Raster, width: Int, height: Int) -> Bool {
        height < input.height && 2 * width - height > 2 * input.width - input.height
    }

    /// The rounding term every fixed-point sum starts from: one half in fixed point.
    static let roundingHalf: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)

    /// Converts a fixed-point sum into a byte, as Pillow's `clip8`.
    @inline(__always)
    static func clip(_ sum: Int32) -> UInt8 {
        let value = sum >> ResampleCoefficients.precisionBits
        return UInt8(clamping: value)
    }

    static func verticalPass(
        _ input: Raster,
        rowStarts: [Int],
        coefficients table: ResampleCoefficients,
        height: Int
    ) -> Raster {
        let rowBytes = input.width * input.channels
        let inputStride = input.rowStride
        let origin = input.origin
        var output = [UInt8](repeating: 0, count: rowBytes * height)

        withRowAccess(input.pixels, table.coefficients, &output) { source, weights, destination in
            forEachRowChunk(height) { chunk in
                for row in chunk {
                    // Safe: the table keeps rows rowStarts[row] ..< rowStarts[row] + counts[row] inside the input.
                    ResampleKernel.filterRows(
                        source.address + origin + rowStarts[row] * inputStride,
                        rowStride: inputStride,
                        count: table.counts[row],
                        weights: weights.address + row * table.taps,
                        into: destination.address + row * rowBytes,
                        length: rowBytes
                    )
                }
            }
        }
        return Raster(width: input.width, height: height, channels: input.channels, pixels: output)
    }

    /// Runs `body` over contiguous chunks of `count` rows, spread across the available cores.
    static func forEachRowChunk(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunkCount = min(count, 64)
        guard chunkCount > 1 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            body((count * chunk / chunkCount)..<(count * (chunk + 1) / chunkCount))
        }
    }

    /// Calls `body` with the base addresses of the source pixels, the coefficients and the output.
    ///
    /// The arrays must be non-empty, as every image, mask and table is; otherwise `body` is not called.
    static func withRowAccess<Source, Weight, Destination>(
        _ source: [Source],
        _ weights: [Weight],
        _ destination: inout [Destination],
        _ body: (RowPointer<Source>, RowPointer<Weight>, MutableRowPointer<Destination>) -> Void
    ) {
        source.withUnsafeBufferPointer { source in
            weights.withUnsafeBufferPointer { weights in
                destination.withUnsafeMutableBufferPointer { destination in
                    guard let sourceBase = source.baseAddress, let weightBase = weights.baseAddress,
                        let destinationBase = destination.baseAddress
                    else { return }
                    body(
                        RowPointer(address: sourceBase),
                        RowPointer(address: weightBase),
                        MutableRowPointer(address: destinationBase)
                    )
                }
            }
        }
    }
}

/// A read-only pointer handed to the row workers of `DispatchQueue.concurrentPerform`.
// NOTE: @unchecked Sendable is safe because the workers only read through it while the owning
// array is pinned by `withUnsafeBufferPointer` for the whole concurrent call.
struct RowPointer<Element>: @unchecked Sendable {
    let address: UnsafePointer<Element>
}

/// A writable pointer handed to the row workers of `DispatchQueue.concurrentPerform`.
// NOTE: @unchecked Sendable is safe because every worker writes a disjoint range of rows and the
// owning array is pinned by `withUnsafeMutableBufferPointer` for the whole concurrent call.
struct MutableRowPointer<Element>: @unchecked Sendable {
    let address: UnsafeMutablePointer<Element>
}
