/// The input as the convolution reads it: `height` and `width` already include any upsampling.
struct ConvolutionSource {
    var channels: Int
    var height: Int
    var width: Int
    var upsampling: Int

    /// The stored width, before upsampling.
    var storedWidth: Int { width / upsampling }
    var storedPlane: Int { (height / upsampling) * storedWidth }
}

/// The sizes one convolution call works with.
struct ConvolutionGeometry {
    var source: ConvolutionSource
    var outputHeight: Int
    var outputWidth: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var stride: Int
    var padding: Conv2d.Padding

    /// Rows of the column matrix: one per (input channel, kernel row, kernel column).
    var patchLength: Int { source.channels * kernelHeight * kernelWidth }
}

extension Conv2d {
    /// Runs im2col and one GEMM per tile of output rows, writing each tile's columns of the
    /// `[outputChannels, H'·W']` result in place.
    func convolveTiled(
        input: UnsafeBufferPointer<Float>,
        output: UnsafeMutableBufferPointer<Float>,
        geometry: ConvolutionGeometry,
        columnBudget: Int
    ) {
        let rowColumns = geometry.patchLength * geometry.outputWidth
        let tileRows = max(1, min(geometry.outputHeight, columnBudget / max(rowColumns, 1)))
        var columns = [Float](repeating: 0, count: tileRows * rowColumns)
        let pixels = geometry.outputHeight * geometry.outputWidth
        weight.storage.withUnsafeBufferPointer { weights in
            columns.withUnsafeMutableBufferPointer { columnBuffer in
                guard let a = weights.baseAddress, let b = columnBuffer.baseAddress, let c = output.baseAddress else { return }
                var firstRow = 0
                while firstRow < geometry.outputHeight {
                    let rows = min(tileRows, geometry.outputHeight - firstRow)
                    Self.fillColumns(columnBuffer, from: input, geometry: geometry, firstRow: firstRow, rows: rows)
                    let tileWidth = rows * geometry.outputWidth
                    BLAS.gemm(
                        m: outputChannels, n: tileWidth, k: geometry.patchLength,
                        a: a, lda: geometry.patchLength, b: b, ldb: tileWidth, bTransposed: false,
                        c: c + firstRow * geometry.outputWidth, ldc: pixels
                    )
                    firstRow += rows
                }
            }
        }
    }

    /// Writes the column matrix `[patchLength, rows·W']` for output rows `firstRow..<firstRow+rows`.
    /// Taps that fall in the padding read zero.
    static func fillColumns(
        _ columns: UnsafeMutableBufferPointer<Float>,
        from input: UnsafeBufferPointer<Float>,
        geometry g: ConvolutionGeometry,
        firstRow: Int,
        rows: Int
    ) {
        let tileWidth = rows * g.outputWidth
        let taps = g.kernelHeight * g.kernelWidth
        parallelChunks(g.patchLength, minimumChunk: max(1, 16384 / max(tileWidth, 1))) { range in
            for patchRow in range {
                let channel = patchRow / taps
                let kernelY = (patchRow % taps) / g.kernelWidth
                let kernelX = patchRow % g.kernelWidth
                let target = columns.baseAddress.map { $0 + patchRow * tileWidth }
                guard let target else { return }
                let plane = channel * g.source.storedPlane
                for row in 0..<rows {
                    let y = (firstRow + row) * g.stride + kernelY - g.padding.top
                    let line = target + row * g.outputWidth
                    guard y >= 0, y < g.source.height else {
                        line.update(repeating: 0, count: g.outputWidth)
                        continue
                    }
                    let sourceLine = plane + (y / g.source.upsampling) * g.source.storedWidth
                    fillLine(line, input: input, sourceLine: sourceLine, kernelX: kernelX, geometry: g)
                }
            }
        }
    }

    /// Fills one output row's worth of column-matrix entries for one kernel tap.
    @inline(__always)
    private static func fillLine(
        _ line: UnsafeMutablePointer<Float>,
        input: UnsafeBufferPointer<Float>,
        sourceLine: Int,
        kernelX: Int,
        geometry g: ConvolutionGeometry
    ) {
        let offset = kernelX - g.padding.left
        let upsampling = g.source.upsampling
        if g.stride == 1 && upsampling == 1 {
            // Contiguous copy of the valid span, zeros at the edges.
            let first = min(g.outputWidth, max(0, -offset))
            let last = min(g.outputWidth, g.source.width - offset)
            if first > 0 { line.update(repeating: 0, count: first) }
            if last > first, let base = input.baseAddress {
                line.advanced(by: first).update(from: base + sourceLine + first + offset, count: last - first)
            }
            let tail = max(first, last)
            if tail < g.outputWidth { line.advanced(by: tail).update(repeating: 0, count: g.outputWidth - tail) }
            return
        }
        for x in 0..<g.outputWidth {
            let sourceX = x * g.stride + offset
            line[x] = sourceX >= 0 && sourceX < g.source.width ? input[sourceLine + sourceX / upsampling] : 0
        }
    }
}
