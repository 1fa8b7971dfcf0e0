/// Conversion between VAE latents [16, h, w] and Flux image tokens [h/2 · w/2, 64], and the
/// position ids of those tokens.
///
/// Tokens run row-major over the 2×2 patches; each token's 64 features are ordered (channel,
/// patch row, patch column), as BFL's `rearrange("c (h ph) (w pw) -> (h w) (c ph pw)")` and
/// diffusers' `_pack_latents`.
public enum LatentPacking {
    /// Packs [channels, h, w] latents with even h and w into [h/2 · w/2, channels · 4] tokens.
    public static func pack(_ latents: Tensor) throws -> Tensor {
        guard latents.rank == 3, latents.shape[1] % 2 == 0, latents.shape[2] % 2 == 0 else {
            throw EngineError.invalidArgument(
                "latents of shape \(latents.shape) cannot be packed; expected [channels, h, w] with even h and w (an image size that is a multiple of 16)"
            )
        }
        let (channels, height, width) = (latents.shape[0], latents.shape[1], latents.shape[2])
        let rows = height / 2
        let columns = width / 2
        let features = channels * 4
        var out = [Float](repeating: 0, count: latents.count)
        for row in 0..<rows {
            for column in 0..<columns {
                let token = (row * columns + column) * features
                for channel in 0..<channels {
                    for patchRow in 0..<2 {
                        for patchColumn in 0..<2 {
                            let source = (channel * height + 2 * row + patchRow) * width + 2 * column + patchColumn
                            out[token + channel * 4 + patchRow * 2 + patchColumn] = latents.storage[source]
                        }
                    }
                }
            }
        }
        return Tensor(shape: [rows * columns, features], storage: out)
    }

    /// Unpacks [h/2 · w/2, channels · 4] tokens into [channels, h, w] latents.
    public static func unpack(_ tokens: Tensor, height: Int, width: Int) throws -> Tensor {
        let features = tokens.rowLength
        guard height % 2 == 0, width % 2 == 0, features % 4 == 0, tokens.rowCount == (height / 2) * (width / 2) else {
            throw EngineError.invalidArgument(
                "\(tokens.rowCount) tokens of \(features) features do not unpack to \(height)x\(width) latents; expected \((height / 2) * (width / 2)) tokens with even h and w"
            )
        }
        let channels = features / 4
        let columns = width / 2
        var out = [Float](repeating: 0, count: tokens.count)
        for row in 0..<(height / 2) {
            for column in 0..<columns {
                let token = (row * columns + column) * features
                for channel in 0..<channels {
                    for patchRow in 0..<2 {
                        for patchColumn in 0..<2 {
                            let target = (channel * height + 2 * row + patchRow) * width + 2 * column + patchColumn
                            out[target] = tokens.storage[token + channel * 4 + patchRow * 2 + patchColumn]
                        }
                    }
                }
            }
        }
        return Tensor(shape: [channels, height, width], storage: out)
    }

    /// Ids (index, row, column) for a rows × columns token grid: index 0 for the target, 1 for a
    /// Kontext reference, which gets its own grid starting at (0, 0).
    public static func positionIDs(index: Int, rows: Int, columns: Int) -> Tensor {
        var ids: [Float] = []
        ids.reserveCapacity(rows * columns * 3)
        for row in 0..<rows {
            for column in 0..<columns {
                ids += [Float(index), Float(row), Float(column)]
            }
        }
        return Tensor(shape: [rows * columns, 3], storage: ids)
    }
}
