internal import CFluxKernels

/// A stride-1 convolution without im2col: one GEMM per kernel tap over a zero-padded band of the
/// input.
///
/// In a padded band of width W_p, a tap (ky, kx) reads, for output pixel j = y·W_p + x, the input
/// value at j + ky·W_p + kx, so its operand is the band itself, offset by that amount. Outputs are
/// computed in padded-width rows, whose last W_p − W' columns are discarded. Each tile of output
/// rows gets its own band (with kernelHeight − 1 extra rows), so memory stays bounded and the
/// accumulated output block stays in cache across the taps.
extension Conv2d {
    /// Output pixels (in padded-width rows) per tile: with 128 output channels the block is 4 MB.
    // NOTE: chosen, not tuned. With it, the whole mid decode of VAEBenchmarkTests took about 20% less
    // CPU time than with im2col everywhere (2-core Xeon, OPENBLAS_CORETYPE=SkylakeX, 1 BLAS thread).
    static let shiftedTileColumns = 8192

    /// Whether `convolveShifted` applies: stride 1 and a kernel larger than 1×1.
    var canConvolveShifted: Bool {
        stride == 1 && kernelHeight * kernelWidth > 1
    }

    /// Convolves `input` into `output` `[outputChannels, H', W']`, with at most `budget` floats (but
    /// at least one row) in the output block of a tile.
    func convolveShifted(
        input: UnsafeBufferPointer<Float>,
        output: UnsafeMutableBufferPointer<Float>,
        geometry: ConvolutionGeometry,
        budget: Int
    ) {
        let paddedWidth = geometry.source.width + padding.left + padding.right
        let tileRows = max(1, min(Self.shiftedTileColumns, budget / outputChannels) / paddedWidth)
        let bandPlane = (tileRows + kernelHeight - 1) * paddedWidth
        var band = [Float](repeating: 0, count: inputChannels * bandPlane)
        var block = [Float](repeating: 0, count: outputChannels * tileRows * paddedWidth)
        let taps = tapMatrices()
        taps.withUnsafeBufferPointer { weights in
            band.withUnsafeMutableBufferPointer { bandBuffer in
                block.withUnsafeMutableBufferPointer { blockBuffer in
                    guard let a = weights.baseAddress, let b = bandBuffer.baseAddress, let c = blockBuffer.baseAddress else { return }
                    var firstRow = 0
                    while firstRow < geometry.outputHeight {
                        let rows = min(tileRows, geometry.outputHeight - firstRow)
                        Self.fillBand(bandBuffer, plane: bandPlane, width: paddedWidth, from: input, geometry: geometry, firstRow: firstRow, rows: rows)
                        // The last row needs only W' columns, so the final pixel read stays inside the band.
                        let columns = (rows - 1) * paddedWidth + geometry.outputWidth
                        for tap in 0..<(kernelHeight * kernelWidth) {
                            let shift = (tap / kernelWidth) * paddedWidth + tap % kernelWidth
                            BLAS.gemm(
                                m: outputChannels, n: columns, k: inputChannels,
                                a: a + tap * outputChannels * inputChannels, lda: inputChannels,
                                b: b + shift, ldb: bandPlane, bTransposed: false,
                                c: c, ldc: columns, beta: tap == 0 ? 0 : 1
                            )
                        }
                        Self.copyRows(from: c, ldc: columns, rowStride: paddedWidth, into: output, geometry: geometry, firstRow: firstRow, rows: rows)
                        firstRow += rows
                    }
                }
            }
        }
    }

    /// Rearranges the kernel as one `[out, in]` matrix per tap, taps in row-major kernel order.
    private func tapMatrices() -> [Float] {
        let taps = kernelHeight * kernelWidth
        let (outputs, inputs) = (outputChannels, inputChannels)
        var out = [Float](repeating: 0, count: weight.count)
        weight.storage.withUnsafeBufferPointer { source in
            for o in 0..<outputs {
                for i in 0..<inputs {
                    for tap in 0..<taps { out[(tap * outputs + o) * inputs + i] = source[(o * inputs + i) * taps + tap] }
                }
            }
        }
        return out
    }

    /// Writes the padded input rows that output rows `firstRow..<firstRow+rows` read, one band of
    /// `plane` floats per channel. Padding and rows outside the image read zero.
    private static func fillBand(
        _ band: UnsafeMutableBufferPointer<Float>,
        plane: Int,
        width: Int,
        from input: UnsafeBufferPointer<Float>,
        geometry g: ConvolutionGeometry,
        firstRow: Int,
        rows: Int
    ) {
        let bandRows = rows + g.kernelHeight - 1
        let upsampling = g.source.upsampling
        parallelChunks(g.source.channels, minimumChunk: max(1, 32768 / max(plane, 1))) { range in
            guard let base = band.baseAddress else { return }
            for channel in range {
                let target = base + channel * plane
                target.update(repeating: 0, count: bandRows * width)
                for bandRow in 0..<bandRows {
                    let y = firstRow + bandRow - g.padding.top
                    guard y >= 0, y < g.source.height else { continue }
                    let sourceLine = channel * g.source.storedPlane + (y / upsampling) * g.source.storedWidth
                    let line = target + bandRow * width + g.padding.left
                    // NOTE: baseAddress is non-nil because the input contains the source rows read here.
                    let sourceRow = input.baseAddress! + sourceLine
                    if upsampling == 1 {
                        line.update(from: sourceRow, count: g.source.width)
                    } else {
                        fk_repeat_each(sourceRow, line, g.source.width, upsampling)
                    }
                }
            }
        }
    }

    /// Copies the first W' columns of each padded-width row of a tile's block into the output.
    private static func copyRows(
        from block: UnsafeMutablePointer<Float>,
        ldc: Int,
        rowStride: Int,
        into output: UnsafeMutableBufferPointer<Float>,
        geometry g: ConvolutionGeometry,
        firstRow: Int,
        rows: Int
    ) {
        guard let target = output.baseAddress else { return }
        let channels = output.count / (g.outputHeight * g.outputWidth)
        parallelChunks(channels, minimumChunk: max(1, 32768 / max(rows * g.outputWidth, 1))) { range in
            for channel in range {
                for row in 0..<rows {
                    let destination = target + (channel * g.outputHeight + firstRow + row) * g.outputWidth
                    destination.update(from: block + channel * ldc + row * rowStride, count: g.outputWidth)
                }
            }
        }
    }
}
