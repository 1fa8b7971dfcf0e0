extension ResampleConvolution {
    /// Copies `rowCount` rows into `columns` so that byte `i` of row `r` lands at `i * bandHeight + r`.
    ///
    /// Rows start `rowStride` bytes apart in `source`. A band shorter than `bandHeight` repeats its last
    /// row, so every vector of the kernel is defined.
    static func transposeBand(
        _ source: UnsafePointer<UInt8>,
        rowBytes: Int,
        rowStride: Int,
        rowCount: Int,
        into columns: inout [UInt8]
    ) {
        columns.withUnsafeMutableBufferPointer { columns in
            // `horizontalPass` allocates `rowBytes * bandHeight` bytes, so the base address exists.
            guard let base = columns.baseAddress else { return }
            var index = 0
            if rowCount == bandHeight {
                while index + ByteTile.size <= rowBytes {
                    // Safe: the 16 rows have `rowBytes` bytes each, and `columns` has 16 bytes per index.
                    var tile = ByteTile(source + index, rowStride: rowStride)
                    tile.transpose()
                    tile.store(base + index * bandHeight, rowStride: bandHeight)
                    index += ByteTile.size
                }
            }
            for row in 0..<bandHeight {
                // Safe: the caller passes `rowCount` readable rows of `rowBytes` bytes each.
                let sourceRow = source + min(row, rowCount - 1) * rowStride
                for column in index..<rowBytes { columns[column * bandHeight + row] = sourceRow[column] }
            }
        }
    }

    /// Writes the first `rowCount` rows of a transposed band back as rows of `rowBytes` bytes.
    static func untransposeBand(
        _ filtered: [UInt8],
        into destination: UnsafeMutablePointer<UInt8>,
        rowBytes: Int,
        rowCount: Int
    ) {
        filtered.withUnsafeBufferPointer { filtered in
            // `horizontalPass` allocates `rowBytes * bandHeight` bytes, so the base address exists.
            guard let base = filtered.baseAddress else { return }
            var index = 0
            if rowCount == bandHeight {
                while index + ByteTile.size <= rowBytes {
                    // Safe: `filtered` has 16 bytes per index, and the caller owns 16 rows of `rowBytes`.
                    var tile = ByteTile(base + index * bandHeight, rowStride: bandHeight)
                    tile.transpose()
                    tile.store(destination + index, rowStride: rowBytes)
                    index += ByteTile.size
                }
            }
            for row in 0..<rowCount {
                // Safe: the caller owns `rowCount` writable rows of `rowBytes` bytes at `destination`.
                let destinationRow = destination + row * rowBytes
                for column in index..<rowBytes { destinationRow[column] = filtered[column * bandHeight + row] }
            }
        }
    }
}

/// A 16 × 16 block of bytes held in vector registers, for transposing bands of rows.
struct ByteTile {
    typealias Row = SIMD16<UInt8>

    static let size = 16

    var rows: (Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row, Row)

    /// Loads 16 rows of 16 bytes, which the caller guarantees are readable.
    @inline(__always)
    init(_ source: UnsafePointer<UInt8>, rowStride: Int) {
        func row(_ index: Int) -> Row { UnsafeRawPointer(source + index * rowStride).loadUnaligned(as: Row.self) }
        rows = (
            row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
            row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15)
        )
    }

    /// Transposes the block with four perfect unshuffles.
    ///
    /// Byte `(row, column)` sits at bit index `row << 4 | column` of the 256 bytes. One unshuffle (all
    /// even bytes first, then all odd ones) rotates that 8-bit index right by one bit. Four of them
    /// swap the row and column nibbles. Each unshuffle is a mask and a pack per vector on SSE2.
    @inline(__always)
    mutating func transpose() {
        for _ in 0..<4 { unshuffle() }
    }

    @inline(__always)
    private mutating func unshuffle() {
        func pair(_ low: Row, _ high: Row) -> SIMD32<UInt8> { SIMD32(lowHalf: low, highHalf: high) }
        let r = rows
        let pairs = (
            pair(r.0, r.1), pair(r.2, r.3), pair(r.4, r.5), pair(r.6, r.7),
            pair(r.8, r.9), pair(r.10, r.11), pair(r.12, r.13), pair(r.14, r.15)
        )
        rows = (
            Self.evenBytes(pairs.0), Self.evenBytes(pairs.1), Self.evenBytes(pairs.2), Self.evenBytes(pairs.3),
            Self.evenBytes(pairs.4), Self.evenBytes(pairs.5), Self.evenBytes(pairs.6), Self.evenBytes(pairs.7),
            Self.oddBytes(pairs.0), Self.oddBytes(pairs.1), Self.oddBytes(pairs.2), Self.oddBytes(pairs.3),
            Self.oddBytes(pairs.4), Self.oddBytes(pairs.5), Self.oddBytes(pairs.6), Self.oddBytes(pairs.7)
        )
    }

    // Swift 6.3 left the standard library's `evenHalf` and `oddHalf` as out-of-line calls in the
    // resize passes (seen with perf), so these spell out the same selection on 16-bit lanes.
    @inline(__always)
    private static func evenBytes(_ pair: SIMD32<UInt8>) -> Row {
        ResampleKernel.narrow(unsafeBitCast(pair, to: SIMD16<UInt16>.self))
    }

    @inline(__always)
    private static func oddBytes(_ pair: SIMD32<UInt8>) -> Row {
        ResampleKernel.narrow(unsafeBitCast(pair, to: SIMD16<UInt16>.self) &>> 8)
    }

    /// Stores the 16 rows, which the caller guarantees are writable.
    @inline(__always)
    func store(_ destination: UnsafeMutablePointer<UInt8>, rowStride: Int) {
        withUnsafeBytes(of: rows) { bytes in
            for index in 0..<Self.size {
                let row = bytes.loadUnaligned(fromByteOffset: index * Self.size, as: Row.self)
                UnsafeMutableRawPointer(destination + index * rowStride).storeBytes(of: row, as: Row.self)
            }
        }
    }
}
