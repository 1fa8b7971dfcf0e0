internal import CPNG

/// A PNG chunk type and its data, before the length and CRC are added.
typealias PNGChunkContent = (type: String, data: [UInt8])

extension PNGEncoder {
    /// Builds IHDR, sRGB, IDAT and IEND with our own row filters and zlib at `level`, because the
    /// png_image API always compresses at level 6.
    static func makeChunks(
        _ image: Image,
        level: Int,
        describesICC: Bool
    ) throws(ImageEncodingError) -> [PNGChunkContent] {
        let colorType: UInt8
        switch image.layout {
        case .gray: colorType = 0
        case .grayAlpha: colorType = 4
        case .rgb: colorType = 2
        case .rgba: colorType = 6
        }
        // Width, height, bit depth 8, colour type, deflate, adaptive filtering, no interlace.
        let header =
            bigEndianBytes(UInt32(image.width)) + bigEndianBytes(UInt32(image.height)) + [8, colorType, 0, 0, 0]
        let filtered = filterRows(image, adaptive: level > 0)

        var compressedLength = compressBound(uLong(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        guard compress2(&compressed, &compressedLength, filtered, uLong(filtered.count), Int32(level)) == Z_OK else {
            throw .encoderFailed(format: .png, detail: "zlib compress2 failed at level \(level)")
        }

        var chunks: [PNGChunkContent] = [(type: "IHDR", data: header)]
        if !describesICC {
            // Rendering intent 0 (perceptual), as png_image writes for 8-bit sRGB data.
            chunks.append((type: "sRGB", data: [0]))
        }
        chunks.append((type: "IDAT", data: Array(compressed.prefix(Int(compressedLength)))))
        chunks.append((type: "IEND", data: []))
        return chunks
    }

    /// Prefixes each row with its filter type: None when `adaptive` is false, otherwise the filter with
    /// the smallest sum of absolute signed residuals, the heuristic that libpng also uses.
    static func filterRows(_ image: Image, adaptive: Bool) -> [UInt8] {
        let rowBytes = image.bytesPerRow
        var output = [UInt8](repeating: 0, count: image.height * (rowBytes + 1))
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)

        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height {
                var bestFilter: UInt8 = 0
                var bestScore = Int.max
                for filter: UInt8 in adaptive ? [0, 1, 2, 3, 4] : [0] {
                    let score = filterRow(pixels, y: y, image: image, filter: filter, into: &candidate)
                    if score < bestScore {
                        (bestScore, bestFilter) = (score, filter)
                        swap(&best, &candidate)
                    }
                }
                let start = y * (rowBytes + 1)
                output[start] = bestFilter
                output.replaceSubrange((start + 1)...(start + rowBytes), with: best)
            }
        }
        return output
    }

    /// Writes one filtered row into `residuals` and returns its score.
    private static func filterRow(
        _ pixels: UnsafeBufferPointer<UInt8>,
        y: Int,
        image: Image,
        filter: UInt8,
        into residuals: inout [UInt8]
    ) -> Int {
        let rowBytes = image.bytesPerRow
        let bytesPerPixel = image.layout.channels
        let rowStart = y * rowBytes
        var score = 0
        for index in 0..<rowBytes {
            let left = index >= bytesPerPixel ? Int(pixels[rowStart + index - bytesPerPixel]) : 0
            let up = y > 0 ? Int(pixels[rowStart - rowBytes + index]) : 0
            let upLeft = index >= bytesPerPixel && y > 0 ? Int(pixels[rowStart - rowBytes + index - bytesPerPixel]) : 0
            let predicted: Int
            switch filter {
            case 1: predicted = left
            case 2: predicted = up
            case 3: predicted = (left + up) / 2
            case 4: predicted = paethPredictor(left: left, up: up, upLeft: upLeft)
            default: predicted = 0
            }
            let residual = UInt8(truncatingIfNeeded: Int(pixels[rowStart + index]) - predicted)
            residuals[index] = residual
            score += Int(Int8(bitPattern: residual).magnitude)
        }
        return score
    }

    /// Predicts a byte as the PNG specification's Paeth filter does: the neighbour nearest to left + up - upLeft.
    static func paethPredictor(left: Int, up: Int, upLeft: Int) -> Int {
        let estimate = left + up - upLeft
        let distanceLeft = abs(estimate - left)
        let distanceUp = abs(estimate - up)
        let distanceUpLeft = abs(estimate - upLeft)
        if distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft {
            return left
        }
        return distanceUp <= distanceUpLeft ? up : upLeft
    }
}
