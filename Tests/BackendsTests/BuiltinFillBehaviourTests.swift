import Imaging
import Testing

@testable import Backends

/// Determinism, soft masks and pixel layouts of the fill.
struct BuiltinFillBehaviourTests {
    private func fill(_ image: Image, _ mask: Mask, seed: UInt64 = 7) async throws -> Image {
        try await BuiltinFillBackend().edit(FillFixtures.request(image: image, mask: mask, seed: seed)).image
    }

    private func makeFeatheredEllipse(width: Int, height: Int) -> Mask {
        var values = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let u = (Double(x) - 0.5 * Double(width)) / (0.2 * Double(width))
                let v = (Double(y) - 0.5 * Double(height)) / (0.16 * Double(height))
                // 255 inside radius 1, falling linearly to 0 at radius 1.5.
                let weight = min(max((1.5 - (u * u + v * v).squareRoot()) / 0.5, 0), 1)
                values[y * width + x] = UInt8((weight * 255).rounded())
            }
        }
        return Mask(width: width, height: height, values: values)
    }

    private func addAlpha(to image: Image) -> Image {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(image.width * image.height * 4)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let start = (y * image.width + x) * 3
                pixels += image.pixels[start..<(start + 3)]
                pixels.append(UInt8(128 + (x + y) % 128))
            }
        }
        return Image(width: image.width, height: image.height, layout: .rgba, pixels: pixels)
    }

    @Test func sameSeedSameOutput() async throws {
        let image = try FillFixtures.photo("cups")
        let mask = FillFixtures.Shape.irregular.mask(width: image.width, height: image.height)

        let first = try await fill(image, mask, seed: 42)
        let second = try await fill(image, mask, seed: 42)

        #expect(first == second)
    }

    @Test func differentSeedDifferentOutput() async throws {
        let image = try FillFixtures.photo("moss")
        let mask = FillFixtures.Shape.ellipse.mask(width: image.width, height: image.height)

        let first = try await fill(image, mask, seed: 1)
        let second = try await fill(image, mask, seed: 2)

        let differing = zip(first.pixels, second.pixels).filter { $0 != $1 }.count
        #expect(differing > mask.values.filter { $0 == 255 }.count / 4)
    }

    @Test func softMaskKeepsZeroPixelsAndBlends() async throws {
        let image = try FillFixtures.photo("boards")
        let mask = makeFeatheredEllipse(width: image.width, height: image.height)

        let result = try await fill(image, mask)
        try FillFixtures.saveForInspection(result, name: "boards-feathered")

        var changedOutside = 0
        var maximumChangeAtLowWeight = 0
        for index in 0..<mask.values.count {
            for c in 0..<3 {
                let change = abs(Int(result.pixels[index * 3 + c]) - Int(image.pixels[index * 3 + c]))
                if mask.values[index] == 0, change > 0 { changedOutside += 1 }
                // A weight of at most 16/255 may move a channel by at most 16 levels (plus rounding).
                if (1...16).contains(mask.values[index]) {
                    maximumChangeAtLowWeight = max(maximumChangeAtLowWeight, change)
                }
            }
        }
        #expect(changedOutside == 0)
        #expect(maximumChangeAtLowWeight <= 17)
    }

    @Test func softMaskLeavesNoSeam() async throws {
        let image = try FillFixtures.photo("cloud")
        let soft = makeFeatheredEllipse(width: image.width, height: image.height)

        let result = try await fill(image, soft)
        try FillFixtures.saveForInspection(result, name: "cloud-feathered")

        // Measure the seam at the outer edge of the feather, where the result meets the untouched photo.
        let outerEdge = Mask(width: soft.width, height: soft.height, values: soft.values.map { $0 > 0 ? 255 : 0 })
        let metrics = FillMetrics(image: result, mask: outerEdge)
        #expect(metrics.seamRatio <= BuiltinFillQualityTests.maximumSeamRatio)
    }

    @Test func rgbaFillsColourLikeRgbAndCarriesAlpha() async throws {
        let rgb = try FillFixtures.photo("tree")
        let rgba = addAlpha(to: rgb)
        let mask = FillFixtures.Shape.rect.mask(width: rgb.width, height: rgb.height)

        let rgbResult = try await fill(rgb, mask)
        let rgbaResult = try await fill(rgba, mask)

        var colourMismatches = 0
        var alphaOutsideChanged = 0
        var alphaInsideOutOfRange = 0
        for index in 0..<mask.values.count {
            for c in 0..<3 where rgbaResult.pixels[index * 4 + c] != rgbResult.pixels[index * 3 + c] {
                colourMismatches += 1
            }
            let alpha = rgbaResult.pixels[index * 4 + 3]
            if mask.values[index] == 0, alpha != rgba.pixels[index * 4 + 3] { alphaOutsideChanged += 1 }
            if mask.values[index] == 255, alpha < 128 { alphaInsideOutOfRange += 1 }
        }
        // Distances ignore alpha, so the colour channels come out exactly as for the RGB image.
        #expect(colourMismatches == 0)
        #expect(alphaOutsideChanged == 0)
        #expect(alphaInsideOutOfRange == 0)
    }

    @Test func grayImageFills() async throws {
        let rgb = try FillFixtures.photo("moss")
        let gray = Image(
            width: rgb.width,
            height: rgb.height,
            layout: .gray,
            pixels: (0..<(rgb.width * rgb.height)).map { rgb.pixels[$0 * 3 + 1] }
        )
        let mask = FillFixtures.Shape.ellipse.mask(width: gray.width, height: gray.height)

        let result = try await fill(gray, mask)

        let holeValues = mask.values.indices.filter { mask.values[$0] == 255 }.map { result.pixels[$0] }
        let changedOutside = mask.values.indices.filter { mask.values[$0] == 0 && result.pixels[$0] != gray.pixels[$0] }
        #expect(result.layout == .gray)
        #expect(changedOutside.isEmpty)
        #expect(Set(holeValues).count > 10)
    }

    @Test(arguments: [(UInt8(0), UInt8(100)), (51, 120), (128, 150), (255, 200)])
    func blendMovesByMaskWeight(maskValue: UInt8, expected: UInt8) {
        let image = Image(width: 2, height: 1, layout: .rgb, filledWith: 100)
        let mask = Mask(width: 2, height: 1, values: [maskValue, 0])
        let estimate = FillBuffer<Float>(repeating: 200, count: 6)

        let blended = PatchMatchFill.blend(image: image, mask: mask, estimate: estimate)

        #expect(blended.pixels == [expected, expected, expected, 100, 100, 100])
    }
}
