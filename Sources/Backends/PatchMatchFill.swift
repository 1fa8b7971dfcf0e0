internal import Imaging

/// A reason the fill stopped without a result.
enum PatchMatchFillError: Error, Equatable {
    /// No patch of the patch size lies wholly on known pixels, so there is nothing to copy from.
    case noSourcePatch
    /// The caller asked to stop; the fill checks between iterations.
    case cancelled
}

/// Multi-scale exemplar-based completion of the masked region of an image.
///
/// The fill builds an image pyramid, starts at the coarsest level with a diffused guess and random
/// matches, and alternates PatchMatch search and voting at each level before it moves the matches to the
/// next finer level. Source patches lie wholly on known pixels (mask below `unknownThreshold`). Every pixel
/// with a non-zero mask value is synthesised, and the result is blended with the original by mask weight,
/// so pixels with mask 0 keep their bytes. The same seed gives the same output.
struct PatchMatchFill {
    /// Patches are (2 * 3 + 1) = 7 pixels square.
    static let patchRadius = 3
    /// Mask values from this one up mark unknown pixels, which no source patch may contain.
    static let unknownThreshold: UInt8 = 128
    /// The pyramid stops halving once neither side of a level exceeds this.
    static let coarsestMaximumSide = 48
    /// PatchMatch passes per search-and-vote iteration.
    static let passesPerIteration = 2

    let seed: UInt64
    /// Checked between iterations; returning true stops the fill with `PatchMatchFillError.cancelled`.
    let isCancelled: () -> Bool

    func fill(image: Image, mask: Mask) throws(PatchMatchFillError) -> Image {
        let full = FillLevel(image: image, mask: mask, unknownThreshold: Self.unknownThreshold)
        let solvers = makeSolvers(full: full)
        guard let finest = solvers.first, !finest.sources.list.isEmpty else { throw .noSourcePatch }

        var coarser: PatchMatchSolver?
        for levelIndex in solvers.indices.reversed() {
            if isCancelled() { throw .cancelled }
            let solver = solvers[levelIndex]
            if let coarser {
                solver.initialise(from: coarser)
            } else {
                solver.initialiseCoarsest()
            }
            let iterations = iterationCount(levelIndex: levelIndex, levelCount: solvers.count)
            for iteration in 0..<iterations {
                if isCancelled() { throw .cancelled }
                solver.improveMatches(iteration: iteration, passes: Self.passesPerIteration)
                // Averaging overlapping patches softens texture, so the very last vote copies instead.
                let isFinalVote = levelIndex == 0 && iteration == iterations - 1
                solver.vote(isFinalVote ? .copyStrongestMatch : .weightedMean, weighted: true)
            }
            coarser = solver
        }
        return Self.blend(image: image, mask: mask, estimate: full.estimate)
    }

    /// Returns one solver per pyramid level, finest first. A coarser level is added only while it still has
    /// a source patch, because the coarsest level draws its first matches from its own sources.
    private func makeSolvers(full: FillLevel) -> [PatchMatchSolver] {
        var solvers = [PatchMatchSolver(level: full, radius: Self.patchRadius, seed: seed, levelIndex: 0)]
        var level = full
        while max(level.width, level.height) > Self.coarsestMaximumSide {
            let coarser = level.halved()
            let solver = PatchMatchSolver(
                level: coarser,
                radius: Self.patchRadius,
                seed: seed,
                levelIndex: solvers.count
            )
            guard !solver.sources.list.isEmpty else { break }
            solvers.append(solver)
            level = coarser
        }
        return solvers
    }

    /// Returns how many search-and-vote iterations a level gets: many where pixels are few and the
    /// layout of the fill is decided, fewer at the expensive full-size level.
    private func iterationCount(levelIndex: Int, levelCount: Int) -> Int {
        if levelIndex == levelCount - 1 { return 10 }
        if levelIndex == 0 { return 4 }
        return 6
    }

    /// Returns `image` with each pixel moved towards the estimate by its mask weight (value / 255).
    static func blend(image: Image, mask: Mask, estimate: FillBuffer<Float>) -> Image {
        let channels = image.layout.channels
        var pixels = image.pixels
        for index in 0..<mask.values.count where mask.values[index] > 0 {
            let maskWeight = Float(mask.values[index]) / 255
            for c in 0..<channels {
                let original = Float(pixels[index * channels + c])
                let blended = original + (estimate[index * channels + c] - original) * maskWeight
                pixels[index * channels + c] = UInt8(min(max(blended.rounded(), 0), 255))
            }
        }
        return Image(width: image.width, height: image.height, layout: image.layout, pixels: pixels)
    }
}
