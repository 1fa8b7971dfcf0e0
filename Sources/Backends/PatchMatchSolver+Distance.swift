extension PatchMatchSolver {
    /// Returns the sum of squared colour differences between the target patch around `target`, which lies
    /// at (`x`, `y`), in the current estimate and the source patch around `source` in the known values.
    ///
    /// Alpha is not compared. A target patch cut by the level border is compared on its pixels inside the
    /// level, scaled up to a whole patch. Inside the level the sum stops early, with a value of at least
    /// `bound`, as soon as it reaches `bound`.
    func distance(target: Int, x: Int, y: Int, source: Int, bound: Float) -> Float {
        let width = level.width
        guard x >= radius, x < width - radius, y >= radius, y < level.height - radius else {
            return borderDistance(targetX: x, targetY: y, source: source)
        }
        if level.colourChannels == level.channels {
            return interiorDistance(target: target, source: source, bound: bound)
        }
        return interiorDistanceSkippingAlpha(target: target, source: source, bound: bound)
    }

    /// Compares whole patches whose rows are contiguous runs of colour values.
    private func interiorDistance(target: Int, source: Int, bound: Float) -> Float {
        let channels = level.channels
        let rowStride = level.width * channels
        let rowLength = (2 * radius + 1) * channels
        let corner = radius * level.width + radius
        var targetRow = level.estimate.base + (target - corner) * channels
        var sourceRow = level.source.base + (source - corner) * channels
        var sum: Float = 0
        for _ in 0...(2 * radius) {
            for i in 0..<rowLength {
                let difference = targetRow[i] - sourceRow[i]
                sum += difference * difference
            }
            if sum >= bound { return sum }
            targetRow += rowStride
            sourceRow += rowStride
        }
        return sum
    }

    private func interiorDistanceSkippingAlpha(target: Int, source: Int, bound: Float) -> Float {
        let channels = level.channels
        let colourChannels = level.colourChannels
        let rowStride = level.width * channels
        let corner = radius * level.width + radius
        var targetRow = level.estimate.base + (target - corner) * channels
        var sourceRow = level.source.base + (source - corner) * channels
        var sum: Float = 0
        for _ in 0...(2 * radius) {
            for pixel in 0...(2 * radius) {
                for c in 0..<colourChannels {
                    let difference = targetRow[pixel * channels + c] - sourceRow[pixel * channels + c]
                    sum += difference * difference
                }
            }
            if sum >= bound { return sum }
            targetRow += rowStride
            sourceRow += rowStride
        }
        return sum
    }

    private func borderDistance(targetX: Int, targetY: Int, source: Int) -> Float {
        let width = level.width
        let channels = level.channels
        let sourceX = source % width
        let sourceY = source / width
        var sum: Float = 0
        var count = 0
        for dy in -radius...radius where (0..<level.height).contains(targetY + dy) {
            for dx in -radius...radius where (0..<width).contains(targetX + dx) {
                let targetIndex = ((targetY + dy) * width + targetX + dx) * channels
                let sourceIndex = ((sourceY + dy) * width + sourceX + dx) * channels
                for c in 0..<level.colourChannels {
                    let difference = level.estimate[targetIndex + c] - level.source[sourceIndex + c]
                    sum += difference * difference
                }
                count += 1
            }
        }
        let patchArea = (2 * radius + 1) * (2 * radius + 1)
        return sum * Float(patchArea) / Float(count)
    }
}
