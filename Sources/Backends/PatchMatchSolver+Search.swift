internal import Dispatch

extension PatchMatchSolver {
    /// Rows per band of a parallel pass. Bands are fixed by the level size, never by the core count, so the
    /// output does not depend on the number of cores.
    static let bandHeight = 16

    /// Recomputes every match distance against the current estimate, then runs `passes` PatchMatch passes
    /// that alternate between forward and backward scan order.
    func improveMatches(iteration: Int, passes: Int) {
        updateCosts()
        for pass in 0..<passes {
            runPass(iteration: iteration, pass: pass)
        }
    }

    private func updateCosts() {
        let list = targets.list
        let chunkSize = 2048
        let chunkCount = (list.count + chunkSize - 1) / chunkSize
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            for position in (chunk * chunkSize)..<min((chunk + 1) * chunkSize, list.count) {
                let centre = Int(list[position])
                let x = centre % level.width
                let y = centre / level.width
                cost[centre] = distance(target: centre, x: x, y: y, source: Int(nearest[centre]), bound: .infinity)
            }
        }
    }

    /// Runs one pass over horizontal bands in parallel.
    ///
    /// Propagation reads neighbours only inside the band, so the bands are independent. Odd passes shift
    /// the band borders by half a band, so good matches still travel across every border.
    private func runPass(iteration: Int, pass: Int) {
        let height = level.height
        let shift = pass % 2 == 1 ? Self.bandHeight / 2 : 0
        var borders = [0]
        borders += stride(from: shift == 0 ? Self.bandHeight : shift, to: height, by: Self.bandHeight)
        borders.append(height)
        let bandBorders = borders
        DispatchQueue.concurrentPerform(iterations: borders.count - 1) { band in
            var random = SplitMix64(seed: seed, stream: streamID(iteration: iteration, pass: pass, band: band))
            scan(rows: bandBorders[band]..<bandBorders[band + 1], forward: pass % 2 == 0, random: &random)
        }
    }

    private func scan(rows: Range<Int>, forward: Bool, random: inout SplitMix64) {
        let width = level.width
        let step = forward ? -1 : 1
        for row in 0..<rows.count {
            let y = forward ? rows.lowerBound + row : rows.upperBound - 1 - row
            for column in 0..<width {
                let x = forward ? column : width - 1 - column
                let centre = y * width + x
                guard targets.contains[centre] else { continue }

                // Propagation: the neighbour already visited in this pass suggests its match, shifted by one.
                if x + step >= 0, x + step < width, nearest[centre + step] >= 0 {
                    tryMatch(target: centre, x: x, y: y, source: Int(nearest[centre + step]) - step)
                }
                if rows.contains(y + step), nearest[centre + step * width] >= 0 {
                    tryMatch(target: centre, x: x, y: y, source: Int(nearest[centre + step * width]) - step * width)
                }
                searchRandomly(target: centre, x: x, y: y, random: &random)
            }
        }
    }

    /// Tries sources at random offsets around the current match, in windows that halve from the level size.
    private func searchRandomly(target centre: Int, x: Int, y: Int, random: inout SplitMix64) {
        let width = level.width
        let height = level.height
        let best = Int(nearest[centre])
        var bestX = best % width
        var bestY = best / width
        var window = max(width, height)
        while window >= 1 {
            let sourceX = clamp(bestX + random.offset(within: window), radius, width - 1 - radius)
            let sourceY = clamp(bestY + random.offset(within: window), radius, height - 1 - radius)
            if tryMatch(target: centre, x: x, y: y, source: sourceY * width + sourceX) {
                bestX = sourceX
                bestY = sourceY
            }
            window /= 2
        }
    }

    /// Replaces the match of `centre`, which lies at (`x`, `y`), with `source` when `source` is a valid
    /// source centre and closer. Returns whether it did.
    ///
    /// Neighbouring candidates can fall outside the level or wrap to another row. Such indices either fail
    /// the range check or land less than `radius` from the left or right border, where no source centre
    /// lies, so the membership test rejects them.
    @discardableResult
    private func tryMatch(target centre: Int, x: Int, y: Int, source: Int) -> Bool {
        guard source >= 0, source < level.pixelCount, sources.contains[source] else { return false }
        guard source != Int(nearest[centre]) else { return false }
        let candidateCost = distance(target: centre, x: x, y: y, source: source, bound: cost[centre])
        guard candidateCost < cost[centre] else { return false }
        nearest[centre] = Int32(source)
        cost[centre] = candidateCost
        return true
    }
}
