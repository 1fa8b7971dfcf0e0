import Imaging
import Testing

@testable import Backends

/// The random generator and the pyramid levels that the fill builds on.
struct PatchMatchPartsTests {
    @Test func splitMixMatchesReferenceOutput() {
        // The first outputs for seed 0 of the reference C implementation, splitmix64.c by Sebastiano Vigna.
        var random = SplitMix64(seed: 0)

        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func splitMixBoundedValuesStayInRange() {
        var random = SplitMix64(seed: 99, stream: 3)

        let values = (0..<2000).map { _ in random.offset(within: 5) }

        #expect(values.allSatisfy { (-5...5).contains($0) })
        #expect(Set(values).count == 11)
    }

    @Test func halvedLevelMarksUnknownConservatively() {
        let image = Image(width: 5, height: 4, layout: .gray, pixels: (0..<20).map { UInt8($0 * 10) })
        var values = [UInt8](repeating: 0, count: 20)
        values[6] = 255  // pixel (1, 1)
        values[4] = 64  // pixel (4, 0): a target, but known
        let level = FillLevel(image: image, mask: Mask(width: 5, height: 4, values: values), unknownThreshold: 128)

        let coarse = level.halved()

        #expect(coarse.width == 3)
        #expect(coarse.height == 2)
        #expect((0..<6).map { coarse.isUnknown[$0] } == [true, false, false, false, false, false])
        #expect((0..<6).map { coarse.isTarget[$0] } == [true, false, true, false, false, false])
        // The mean of fine pixels (2, 0), (3, 0), (2, 1), (3, 1): values 20, 30, 70, 80.
        #expect(coarse.source[1] == 50)
        // Pixel (4, 0) is alone in its column pair: the mean of values 40 and 90.
        #expect(coarse.source[2] == 65)
    }

    @Test func sourceCentresAvoidUnknownPixels() {
        let image = Image(width: 9, height: 9, layout: .gray, filledWith: 0)
        var values = [UInt8](repeating: 0, count: 81)
        values[4 * 9 + 8] = 200  // pixel (8, 4)
        let level = FillLevel(image: image, mask: Mask(width: 9, height: 9, values: values), unknownThreshold: 128)

        let sources = level.makeSourceCentres(radius: 1)

        // Centres lie 1 pixel from the border, and none of their 3x3 patches may reach pixel (8, 4).
        let expected = (1...7).flatMap { y in (1...7).map { x in (x, y) } }.filter { x, y in
            !(x == 7 && (3...5).contains(y))
        }
        #expect(sources.list.map { Int($0) } == expected.map { $0.1 * 9 + $0.0 })
    }
}
