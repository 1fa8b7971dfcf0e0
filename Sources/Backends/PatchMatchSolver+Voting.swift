internal import Dispatch
internal import Foundation

extension PatchMatchSolver {
    /// Sets every target pixel of the estimate to the weighted mean of the source pixels that the matches
    /// of all patches covering it put there (voting in the style of Wexler, Shechtman and Irani, 2007).
    ///
    /// With `weighted`, a match of distance d has weight exp(-d / (2 s)), where s is the 75th percentile
    /// of all match distances, so close matches dominate. Without it every match counts the same, which
    /// the first vote of a level needs because its distances are not computed yet.
    func vote(weighted: Bool) {
        computeWeights(weighted: weighted)
        let rowsPerChunk = Self.bandHeight
        let chunkCount = (level.height + rowsPerChunk - 1) / rowsPerChunk
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            for y in (chunk * rowsPerChunk)..<min((chunk + 1) * rowsPerChunk, level.height) {
                voteRow(y)
            }
        }
    }

    private func voteRow(_ y: Int) {
        let width = level.width
        let channels = level.channels
        for x in 0..<width where level.isTarget[y * width + x] {
            var sums = SIMD4<Float>()
            var totalWeight: Float = 0
            for dy in -radius...radius where (0..<level.height).contains(y - dy) {
                for dx in -radius...radius where (0..<width).contains(x - dx) {
                    let centre = (y - dy) * width + x - dx
                    let match = Int(nearest[centre])
                    guard match >= 0 else { continue }
                    // The pixel sits at offset (dx, dy) in the patch around `centre`, so its vote comes from
                    // the same offset in the matched source patch.
                    let sourcePixel = (match + dy * width + dx) * channels
                    let matchWeight = weight[centre]
                    for c in 0..<channels { sums[c] += matchWeight * level.source[sourcePixel + c] }
                    totalWeight += matchWeight
                }
            }
            let pixel = (y * width + x) * channels
            for c in 0..<channels { level.estimate[pixel + c] = sums[c] / totalWeight }
        }
    }

    private func computeWeights(weighted: Bool) {
        let scale = weighted ? distanceScale() : 0
        for centre in targets.list {
            let index = Int(centre)
            guard scale > 0 else {
                weight[index] = confidence[index]
                continue
            }
            // The floor keeps the sum of weights positive when every covering match is far off.
            weight[index] = max(exp(-cost[index] / (2 * scale)), 1e-20) * confidence[index]
        }
    }

    /// Returns the 75th percentile of the match distances, from at most about 4096 evenly spaced samples.
    private func distanceScale() -> Float {
        let list = targets.list
        let step = max(list.count / 4096, 1)
        var samples: [Float] = []
        samples.reserveCapacity(list.count / step + 1)
        for position in stride(from: 0, to: list.count, by: step) {
            samples.append(cost[Int(list[position])])
        }
        samples.sort()
        return samples[samples.count * 3 / 4]
    }
}
