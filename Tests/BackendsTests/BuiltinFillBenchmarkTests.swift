import Backends
import Foundation
import Imaging
import Testing

/// Speed of the fill on a 1024x1024 image, the largest crop the pipeline typically sends, with a hole of
/// 10% and of 25%. It prints the time and asserts nothing about it, because timing depends on the
/// machine and its load. Run it with `KONTEXTD_BENCHMARK=1`. The cases run one after another so that
/// each time is its own.
@Suite(.serialized)
struct BuiltinFillBenchmarkTests {
    /// Returns a 1024x1024 image made of the 512x512 forest crop and its mirror images.
    private func makeMegapixelImage() throws -> Image {
        let tile = try FillFixtures.photo("forest512")
        var pixels = [UInt8](repeating: 0, count: 1024 * 1024 * 3)
        for y in 0..<1024 {
            for x in 0..<1024 {
                let tileX = x < 512 ? x : 1023 - x
                let tileY = y < 512 ? y : 1023 - y
                for c in 0..<3 {
                    pixels[(y * 1024 + x) * 3 + c] = tile.pixels[(tileY * 512 + tileX) * 3 + c]
                }
            }
        }
        return Image(width: 1024, height: 1024, layout: .rgb, pixels: pixels)
    }

    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["KONTEXTD_BENCHMARK"] != nil),
        arguments: [FillFixtures.Shape.rect, .largeRect]
    )
    func megapixelFill(shape: FillFixtures.Shape) async throws {
        let image = try makeMegapixelImage()
        let mask = shape.mask(width: 1024, height: 1024)

        let clock = ContinuousClock()
        var result: Image?
        let elapsed = try await clock.measure {
            result = try await BuiltinFillBackend().edit(FillFixtures.request(image: image, mask: mask)).image
        }

        let filled = try #require(result)
        try FillFixtures.saveForInspection(filled, name: "megapixel-\(shape.rawValue)")
        let holeShare = Double(mask.values.filter { $0 == 255 }.count) / Double(mask.values.count)
        print("Built-in fill, 1024x1024, hole \(Int((holeShare * 100).rounded()))%: \(elapsed)")
        #expect(FillMetrics(image: filled, mask: mask).seamRatio <= BuiltinFillQualityTests.maximumSeamRatio)
    }
}
