extension ResampleConvolution {
    /// Rows filtered together by the horizontal pass.
    static let bandHeight = 16

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
                        source.address + (rows.lowerBound + firstRow) * inputRowBytes,
                        rowBytes: inputRowBytes,
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

    /// Copies `rowCount` rows into `columns` so that byte `i` of row `r` lands at `i * bandHeight + r`.
    ///
    /// A band shorter than `bandHeight` repeats its last row, so every vector of the kernel is defined.
    private static func transposeBand(
        _ source: UnsafePointer<UInt8>,
        rowBytes: Int,
        rowCount: Int,
        into columns: inout [UInt8]
    ) {
        columns.withUnsafeMutableBufferPointer { columns in
            for row in 0..<bandHeight {
                // Safe: the caller passes `rowCount` readable rows of `rowBytes` bytes each.
                let sourceRow = source + min(row, rowCount - 1) * rowBytes
                for index in 0..<rowBytes { columns[index * bandHeight + row] = sourceRow[index] }
            }
        }
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

    /// Writes the first `rowCount` rows of a transposed band back as rows of `rowBytes` bytes.
    private static func untransposeBand(
        _ filtered: [UInt8],
        into destination: UnsafeMutablePointer<UInt8>,
        rowBytes: Int,
        rowCount: Int
    ) {
        filtered.withUnsafeBufferPointer { filtered in
            for row in 0..<rowCount {
                // Safe: the caller owns `rowCount` writable rows of `rowBytes` bytes at `destination`.
                let destinationRow = destination + row * rowBytes
                for index in 0..<rowBytes { destinationRow[index] = filtered[index * bandHeight + row] }
            }
        }
    }
}
