/// The nearest-neighbour field (NNF) of one pyramid level, with the steps that build it.
///
/// For every target centre, `nearest` stores the centre of the most similar source patch found so far
/// and `cost` its distance. The search follows PatchMatch (Barnes, Shechtman, Finkelstein and Goldman,
/// 2009): random or upsampled initial matches, then passes of propagation and random search.
struct PatchMatchSolver {
    /// The factor by which the voting weight of a patch falls per pixel that its centre lies inside the
    /// hole, so that patches anchored on known pixels decide the edge of the fill. Chosen by measuring the
    /// seam of the test crops for factors 1.15 to 3.
    static let confidenceBase: Float = 3
    /// The distance into the hole beyond which the confidence stops falling, so it stays far above the
    /// smallest normal Float (3^-8 is about 1.5e-4) and deep pixels weigh their patches equally.
    static let confidenceMaximumDistance = 8

    let level: FillLevel
    let radius: Int
    let sources: FillCentres
    let targets: FillCentres
    /// The best source centre for each target centre; -1 for pixels that are not target centres.
    let nearest: FillBuffer<Int32>
    /// The patch distance from each target centre to its `nearest` source centre.
    let cost: FillBuffer<Float>
    /// The voting weight of each target centre's match.
    let weight: FillBuffer<Float>
    /// How far each pixel can be trusted: 1 where known, falling by `confidenceBase` per pixel of distance
    /// from the known pixels inside the hole.
    let confidence: FillBuffer<Float>
    let seed: UInt64
    /// The pyramid level, 0 at full size; it separates the random streams of the levels.
    let levelIndex: Int

    init(level: FillLevel, radius: Int, seed: UInt64, levelIndex: Int) {
        self.level = level
        self.radius = radius
        self.seed = seed
        self.levelIndex = levelIndex
        sources = level.makeSourceCentres(radius: radius)
        targets = level.makeTargetCentres(radius: radius)
        nearest = FillBuffer(repeating: -1, count: level.pixelCount)
        cost = FillBuffer(repeating: .infinity, count: level.pixelCount)
        weight = FillBuffer(repeating: 0, count: level.pixelCount)
        confidence = level.makeConfidence(base: Self.confidenceBase, maximumDistance: Self.confidenceMaximumDistance)
    }

    /// Starts the coarsest level: unknown pixels get the mean of their filled neighbours, layer by layer
    /// from the border of the hole inwards, and every target centre gets a random source.
    func initialiseCoarsest() {
        fillUnknownByDiffusion()
        var random = SplitMix64(seed: seed, stream: streamID(iteration: 0xFF, pass: 0xFF, band: 0))
        for centre in targets.list {
            let choice = random.next(below: sources.list.count)
            nearest[Int(centre)] = sources.list[choice]
        }
    }

    /// Starts a level from the matches of the level above it (half the size), then copies one match per
    /// pixel so the target pixels have a first estimate that keeps the texture of the sources.
    func initialise(from coarser: PatchMatchSolver) {
        let width = level.width
        let coarseWidth = coarser.level.width
        var random = SplitMix64(seed: seed, stream: streamID(iteration: 0xFF, pass: 0xFF, band: 0))
        for centre in targets.list {
            let index = Int(centre)
            let x = index % width
            let y = index / width
            let coarseX = min(x / 2, coarseWidth - 1)
            let coarseY = min(y / 2, coarser.level.height - 1)
            let coarseMatch = Int(coarser.nearest[coarseY * coarseWidth + coarseX])
            nearest[index] =
                upsampledMatch(coarseMatch, coarseWidth: coarseWidth, x: x - 2 * coarseX, y: y - 2 * coarseY)
                ?? sources.list[random.next(below: sources.list.count)]
        }
        vote(.copyStrongestMatch, weighted: false)
    }

    /// Maps a coarse source centre to the fine source centre at the same sub-pixel offset, or nil when
    /// that pixel is not a source centre at this level.
    private func upsampledMatch(_ coarseMatch: Int, coarseWidth: Int, x: Int, y: Int) -> Int32? {
        guard coarseMatch >= 0 else { return nil }
        let fineX = clamp(2 * (coarseMatch % coarseWidth) + x, radius, level.width - 1 - radius)
        let fineY = clamp(2 * (coarseMatch / coarseWidth) + y, radius, level.height - 1 - radius)
        let fine = fineY * level.width + fineX
        return sources.contains[fine] ? Int32(fine) : nil
    }

    private func fillUnknownByDiffusion() {
        let width = level.width
        let height = level.height
        let channels = level.channels
        var isFilled = (0..<level.pixelCount).map { !level.isUnknown[$0] }
        var pending = (0..<level.pixelCount).filter { !isFilled[$0] }
        while !pending.isEmpty {
            var filledNow: [Int] = []
            var stillPending: [Int] = []
            for index in pending {
                let x = index % width
                let y = index / width
                var sums = SIMD4<Float>()
                var count: Float = 0
                for neighbourY in max(y - 1, 0)...min(y + 1, height - 1) {
                    for neighbourX in max(x - 1, 0)...min(x + 1, width - 1) {
                        let neighbour = neighbourY * width + neighbourX
                        guard isFilled[neighbour] else { continue }
                        for c in 0..<channels { sums[c] += level.estimate[neighbour * channels + c] }
                        count += 1
                    }
                }
                guard count > 0 else {
                    stillPending.append(index)
                    continue
                }
                for c in 0..<channels { level.estimate[index * channels + c] = sums[c] / count }
                filledNow.append(index)
            }
            // NOTE: A layer is marked filled only after the whole layer is computed, so each layer reads the
            // previous one and the result does not depend on the scan order.
            for index in filledNow { isFilled[index] = true }
            precondition(!filledNow.isEmpty, "Diffusion needs at least one known pixel")
            pending = stillPending
        }
    }

    /// Returns an identifier of one random stream, unique per level, iteration, pass and band.
    func streamID(iteration: Int, pass: Int, band: Int) -> UInt64 {
        UInt64(levelIndex) << 48 | UInt64(iteration & 0xFFFF) << 32 | UInt64(pass & 0xFF) << 24
            | UInt64(band & 0xFF_FFFF)
    }
}

func clamp(_ value: Int, _ lower: Int, _ upper: Int) -> Int {
    min(max(value, lower), upper)
}
