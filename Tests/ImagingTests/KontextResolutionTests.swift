import Imaging
import Testing

struct KontextScaleCase: CustomTestStringConvertible, Sendable {
    let name: String
    let inputWidth: Int
    let inputHeight: Int
    let crop: [Int]
    let outputWidth: Int
    let outputHeight: Int

    var testDescription: String { name }

    /// Reads kontext-scaled.txt, which generate.py writes with ComfyUI's crop rule and Pillow.
    static func all() throws -> [KontextScaleCase] {
        try GeometryFixtures.records("kontext-scaled.txt").map { fields in
            let numbers = fields.dropFirst().compactMap { Int($0) }
            return KontextScaleCase(
                name: String(fields[0]),
                inputWidth: numbers[0],
                inputHeight: numbers[1],
                crop: Array(numbers[2...5]),
                outputWidth: numbers[6],
                outputHeight: numbers[7]
            )
        }
    }

    func input() throws -> Image {
        if name == "kite" { return try GeometryFixtures.image("photo-kite-480x300.ppm") }
        return GeometryFixtures.pattern(width: inputWidth, height: inputHeight, layout: .rgb)
    }
}

struct KontextResolutionTests {
    @Test func preferredListHasSeventeenSizes() {
        #expect(KontextResolution.preferred.count == 17)
        #expect(KontextResolution.preferred.allSatisfy { $0.width % 16 == 0 })
        #expect(KontextResolution.preferred.allSatisfy { $0.height % 16 == 0 })
    }

    @Test func nearestMatchesComfyRuleOnSweep() throws {
        let records = try GeometryFixtures.records("kontext-nearest.txt")
        #expect(records.count > 1000)

        for fields in records {
            let numbers = fields.compactMap { Int($0) }
            let chosen = KontextResolution.nearest(width: numbers[0], height: numbers[1])
            #expect(chosen.width == numbers[2], "input \(numbers[0])x\(numbers[1])")
            #expect(chosen.height == numbers[3], "input \(numbers[0])x\(numbers[1])")
        }
    }

    @Test(arguments: [(1920, 1080, 1392, 752), (4000, 3000, 1184, 880), (1000, 1000, 1024, 1024)])
    func nearestKnownExamples(_ example: (Int, Int, Int, Int)) {
        let chosen = KontextResolution.nearest(width: example.0, height: example.1)

        #expect(chosen.width == example.2)
        #expect(chosen.height == example.3)
    }

    @Test(arguments: try KontextScaleCase.all())
    func centerCropMatchesComfy(_ testCase: KontextScaleCase) {
        let target = (testCase.outputWidth, testCase.outputHeight)

        let crop = KontextResolution.centerCrop(
            width: testCase.inputWidth,
            height: testCase.inputHeight,
            toAspectOf: target
        )

        #expect([crop.x, crop.y, crop.width, crop.height] == testCase.crop)
    }

    @Test(arguments: try KontextScaleCase.all())
    func kontextScaledMatchesPillow(_ testCase: KontextScaleCase) throws {
        let expectedRows = try GeometryFixtures.image("kontext-\(testCase.name)-rows16.ppm")

        let scaled = try testCase.input().kontextScaled()

        #expect(scaled.width == testCase.outputWidth)
        #expect(scaled.height == testCase.outputHeight)
        let rows = GeometryFixtures.sampledRows(scaled, step: 16)
        #expect(GeometryFixtures.maxDifference(rows, expectedRows.pixels) <= 1)
        #expect(rows.count == expectedRows.pixels.count)
    }

    @Test func centerCropRoundsHalfToEven() {
        // 1026x1000 to 1024x1024 removes 26 columns: 13 per side. 1025x1000 removes 25: 12.5 rounds to 12.
        let even = KontextResolution.centerCrop(width: 1026, height: 1000, toAspectOf: (1024, 1024))
        let half = KontextResolution.centerCrop(width: 1025, height: 1000, toAspectOf: (1024, 1024))

        #expect(even.x == 13)
        #expect(half.x == 12)
        #expect(half.width == 1001)
    }
}
