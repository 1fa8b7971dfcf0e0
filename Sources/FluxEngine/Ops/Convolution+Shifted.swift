/// A stride-1 convolution without im2col: one GEMM per kernel tap over a zero-padded copy of the
/// input.
///
/// In the padded image a tap (ky, kx) reads, for output pixel j = y·W_p + x, the input value at
/// j + ky·W_p + kx, so its operand is the padded image itself, offset by that amount. Outputs are
/// computed in padded-width rows, whose last W_p − W' columns are discarded. Tiles of output rows
/// keep the accumulated block small enough to stay in cache across the taps.
extension Conv2d {
    /// Output pixels (in padded-width rows) per tile: with 128 output channels the block is 4 MB.
    // NOTE: chosen, not tuned. With it, the tap-by-tap path took about 15% less CPU time than im2col
    // in VAEBenchmarkTests' mid decode (2-core Xeon, OPENBLAS_CORETYPE=SkylakeX, 1 BLAS thread).
    static let shiftedTileColumns = 8192

    /// Whether `convolveShifted` applies: stride 1, no upsampling and a kernel larger than 1×1.
    func canConvolveShifted(upsampling: Int) -> Bool {
        stride == 1 && upsampling == 1 && kernelHeight * kernelWidth > 1
    }

    /// Convolves `x` `[C, H, W]` into `output` `[outputChannels, H', W']`, with at most `budget`
    /// floats (but at least one row) in the output block of a tile.
    func convolveShifted(
        _ x: Tensor,
        output: UnsafeMutableBufferPointer<Float>,
        outputHeight: Int,
        outputWidth: Int,
        budget: Int
    ) {
        let channels = inputChannels
        let paddedHeight = x.shape[1] + padding.top + padding.bottom
        let paddedWidth = x.shape[2] + padding.left + padding.right
        let padded = Self.padded(x, top: padding.top, left: padding.left, height: paddedHeight, width: paddedWidth)
        let taps = tapMatrices()
        let plane = paddedHeight * paddedWidth
        // The last output row needs only W' columns, so the final pixel read stays inside the plane.
        let columns = (outputHeight - 1) * paddedWidth + outputWidth
        let tileRows = max(1, min(Self.shiftedTileColumns, budget / outputChannels) / paddedWidth)
        var block = [Float](repeating: 0, count: outputChannels * tileRows * paddedWidth)
        padded.withUnsafeBufferPointer { source in
            taps.withUnsafeBufferPointer { weights in
                block.withUnsafeMutableBufferPointer { blockBuffer in
                    guard let b = source.baseAddress, let a = weights.baseAddress, let c = blockBuffer.baseAddress else { return }
                    var firstRow = 0
                    while firstRow < outputHeight {
                        let rows = min(tileRows, outputHeight - firstRow)
                        let start = firstRow * paddedWidth
                        let width = min(rows * paddedWidth, columns - start)
                        for tap in 0..<(kernelHeight * kernelWidth) {
                            let shift = (tap / kernelWidth) * paddedWidth + tap % kernelWidth
                            BLAS.gemm(
                                m: outputChannels, n: width, k: channels,
                                a: a + tap * outputChannels * channels, lda: channels,
                                b: b + start + shift, ldb: plane, bTransposed: false,
                                c: c, ldc: width, beta: tap == 0 ? 0 : 1
                            )
                        }
                        Self.copyRows(
                            from: c, ldc: width, rowStride: paddedWidth, into: output, firstRow: firstRow, rows: rows,
                            outputHeight: outputHeight, outputWidth: outputWidth, channels: outputChannels
                        )
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

    /// Copies `x` into the middle of a zero image of `height`×`width` per channel.
    private static func padded(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> [Float] {
        let (channels, sourceHeight, sourceWidth) = (x.shape[0], x.shape[1], x.shape[2])
        var out = [Float](repeating: 0, count: channels * height * width)
        x.storage.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                parallelChunks(channels, minimumChunk: max(1, 32768 / max(height * width, 1))) { range in
                    guard let from = source.baseAddress, let to = target.baseAddress else { return }
                    for channel in range {
                        for row in 0..<sourceHeight {
                            let targetRow = to + (channel * height + row + top) * width + left
                            targetRow.update(from: from + (channel * sourceHeight + row) * sourceWidth, count: sourceWidth)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Copies the first `outputWidth` columns of each padded-width row of a tile into the output.
    private static func copyRows(
        from block: UnsafeMutablePointer<Float>,
        ldc: Int,
        rowStride: Int,
        into output: UnsafeMutableBufferPointer<Float>,
        firstRow: Int,
        rows: Int,
        outputHeight: Int,
        outputWidth: Int,
        channels: Int
    ) {
        guard let target = output.baseAddress else { return }
        for channel in 0..<channels {
            for row in 0..<rows {
                let destination = target + (channel * outputHeight + firstRow + row) * outputWidth
                destination.update(from: block + channel * ldc + row * rowStride, count: outputWidth)
            }
        }
    }
}
