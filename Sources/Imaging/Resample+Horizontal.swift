extension ResampleConvolution {
    /// Rows filtered together by the horizontal pass.
    static let bandHeight = ByteTile.size

    /// Filters `rows` of the input along x, writing `width` columns per row.
    ///
    /// A horizontal filter has a different source window for every output column, which defeats
    /// vectorising along a row. So the pass transposes bands of `bandHeight` rows, so that the
    /// `bandHeight` values of one channel and one column lie next to each other. Then it filters the
    /// band with the row kernel of the vertical pass and transposes the result back.
    static func horizontalPass(
        _ input: Raster,
        rows: Range<Int>,
        coefficients table: ResampleCoefficients,
        width: Int
    ) -> Raster {
        let channels = input.channels
        var output = [UInt8](repeating: 0, count: width * rows.count * channels)
        let inputRowBytes = input.width * channels
        let inputStride = input.rowStride
        let origin = input.origin
        let outputRowBytes = width * channels
        let bandCount = (rows.count + bandHeight - 1) / bandHeight

        withRowAccess(input.pixels, table.coefficients, &output) { source, weights, destination in
            forEachRowChunk(bandCount) { bands in
                var columns = [UInt8](repeating: 0, count: inputRowBytes * bandHeight)
                var filtered = [UInt8](repeating: 0, count: outputRowBytes * bandHeight)
                for band in bands {
                    let firstRow = band * bandHeight
                    let rowCount = min(bandHeight, rows.count - firstRow)
                    transposeBand(
                        source.address + origin + (rows.lowerBound + firstRow) * inputStride,
                        rowBytes: inputRowBytes,
                        rowStride: inputStride,
                        rowCount: rowCount,
                        into: &columns
                    )
                    filterBand(columns, channels: channels, table: table, weights: weights.address, into: &filtered)
                    untransposeBand(
                        filtered,
                        into: destination.address + firstRow * outputRowBytes,
                        rowBytes: outputRowBytes,
                        rowCount: rowCount
                    )
                }
            }
        }
        return Raster(width: width, height: rows.count, channels: channels, pixels: output)
    }

    /// Filters a transposed band: each output column reads its window of whole source columns.
    private static func filterBand(
        _ columns: [UInt8],
        channels: Int,
        table: ResampleCoefficients,
        weights: UnsafePointer<Int32>,
        into filtered: inout [UInt8]
    ) {
        let columnBytes = channels * bandHeight
        columns.withUnsafeBufferPointer { columns in
            filtered.withUnsafeMutableBufferPointer { filtered in
                // Both buffers were allocated non-empty by `horizontalPass`.
                guard let source = columns.baseAddress, let destination = filtered.baseAddress else { return }
                for column in 0..<table.starts.count {
                    // Safe: the table keeps every source window inside the input width.
                    ResampleKernel.filterRows(
                        source + table.starts[column] * columnBytes,
                        rowStride: columnBytes,
                        count: table.counts[column],
                        weights: weights + column * table.taps,
                        into: destination + column * columnBytes,
                        length: columnBytes
                    )
                }
            }
        }
    }
}
