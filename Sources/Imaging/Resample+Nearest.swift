extension ResampleConvolution {
    /// Source indices of Pillow's nearest-neighbour resize along one axis.
    ///
    /// Pillow runs `NEAREST` through `ImagingScaleAffine`, which starts at half a step and adds the
    /// step once per output pixel in double precision. Repeating that accumulation, instead of
    /// multiplying, keeps the truncated indices identical to Pillow's.
    static func nearestIndices(inputSize: Int, outputSize: Int) -> [Int] {
        let step = Double(inputSize) / Double(outputSize)
        var position = step * 0.5
        var indices = [Int](repeating: 0, count: outputSize)
        for output in 0..<outputSize {
            indices[output] = min(max(Int(position), 0), inputSize - 1)
            position += step
        }
        return indices
    }

    static func nearest(_ input: Raster, width: Int, height: Int) -> Raster {
        let channels = input.channels
        let columns = nearestIndices(inputSize: input.width, outputSize: width)
        let rows = nearestIndices(inputSize: input.height, outputSize: height)
        var output = [UInt8](repeating: 0, count: width * height * channels)

        var index = 0
        for y in 0..<height {
            let rowOffset = input.origin + rows[y] * input.rowStride
            for x in 0..<width {
                let pixelOffset = rowOffset + columns[x] * channels
                for channel in 0..<channels {
                    output[index] = input.pixels[pixelOffset + channel]
                    index += 1
                }
            }
        }
        return Raster(width: width, height: height, channels: channels, pixels: output)
    }
}
