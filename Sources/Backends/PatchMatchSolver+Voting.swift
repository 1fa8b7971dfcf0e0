internal import Dispatch
internal import Foundation

/// A rule that turns the source pixels proposed for one pixel, by the matches of all patches covering it,
/// into one value.
enum VoteRule {
    /// The weighted mean of the proposals (voting in the style of Wexler, Shechtman and Irani, 2007).
    case weightedMean
    /// The proposal of the match with the highest weight; keeps texture sharp but can show patch edges.
    case copyStrongestMatch
}

extension PatchMatchSolver {
    /// Sets every target pixel of the estimate from the source pixels that the matches of all patches
    /// covering it propose.
    ///
    /// A match's weight is the confidence of its target centre, times exp(-d / (2 s)) with `weighted`,
    /// where d is its distance and s the 75th percentile of all match distances, so close matches
    /// dominate. The first vote of a level passes `weighted: false` because no distance is computed yet.
    func vote(_ rule: VoteRule, weighted: Bool) {
        computeWeights(weighted: weighted)
        let rowsPerChunk = Self.bandHeight
        let chunkCount = (level.height + rowsPerChunk - 1) / rowsPerChunk
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            for y in (chunk * rowsPerChunk)..<min((chunk + 1) * rowsPerChunk, level.height) {
                switch rule {
                case .weightedMean: voteRowByWeightedMean(y)
                case .copyStrongestMatch: voteRowByStrongestMatch(y)
                }
            }
        }
    }

    private func voteRowByWeightedMean(_ y: Int) {
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

    private func voteRowByStrongestMatch(_ y: Int) {
        let width = level.width
        let channels = level.channels
        for x in 0..<width where level.isTarget[y * width + x] {
            var bestWeight: Float = -1
            var bestSource = 0
            for dy in -radius...radius where (0..<level.height).contains(y - dy) {
                for dx in -radius...radius where (0..<width).contains(x - dx) {
                    let centre = (y - dy) * width + x - dx
                    let match = Int(nearest[centre])
                    guard match >= 0, weight[centre] > bestWeight else { continue }
                    bestWeight = weight[centre]
                    bestSource = (match + dy * width + dx) * channels
                }
            }
            let pixel = (y * width + x) * channels
            for c in 0..<channels { level.estimate[pixel + c] = level.source[bestSource + c] }
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
