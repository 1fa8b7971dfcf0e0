import Imaging
import Testing

struct ResampleCase: CustomTestStringConvertible, Sendable {
    let source: String
    let expected: String
    let filter: ResampleFilter
    let width: Int
    let height: Int

    var testDescription: String { expected }
}

private let filterNames: [(ResampleFilter, String)] = [
    (.nearest, "nearest"), (.bilinear, "bilinear"), (.bicubic, "bicubic"), (.lanczos3, "lanczos3"),
]

private let photoCases: [ResampleCase] = ["kite", "cups"].flatMap { photo in
    filterNames.flatMap { filter, name in
        [(37, 23), (150, 101), (200, 40)].map { width, height in
            ResampleCase(
                source: "photo-\(photo).ppm",
                expected: "resize-\(photo)-\(name)-\(width)x\(height).ppm",
                filter: filter,
                width: width,
                height: height
            )
        }
    }
}

private let alphaAndGrayCases: [ResampleCase] = [
    ResampleCase(
        source: "photo-kite-rgba.pam",
        expected: "resize-kite-rgba-lanczos3-50x30.pam",
        filter: .lanczos3,
        width: 50,
        height: 30
    ),
    ResampleCase(
        source: "photo-kite-rgba.pam",
        expected: "resize-kite-rgba-lanczos3-130x90.pam",
        filter: .lanczos3,
        width: 130,
        height: 90
    ),
    ResampleCase(
        source: "photo-kite-rgba.pam",
        expected: "resize-kite-rgba-bilinear-50x30.pam",
        filter: .bilinear,
        width: 50,
        height: 30
    ),
    ResampleCase(
        source: "photo-cups-gray.pgm",
        expected: "resize-cups-gray-lanczos3-41x77.pgm",
        filter: .lanczos3,
        width: 41,
        height: 77
    ),
    ResampleCase(
        source: "photo-cups-gray.pgm",
        expected: "resize-cups-gray-bilinear-41x77.pgm",
        filter: .bilinear,
        width: 41,
        height: 77
    ),
    ResampleCase(
        source: "photo-cups-gray-alpha.pam",
        expected: "resize-cups-gray-alpha-lanczos3-50x30.pam",
        filter: .lanczos3,
        width: 50,
        height: 30
    ),
]

struct ResampleTests {
    @Test(arguments: photoCases + alphaAndGrayCases)
    func resizeMatchesPillow(_ testCase: ResampleCase) throws {
        let source = try GeometryFixtures.image(testCase.source)
        let expected = try GeometryFixtures.image(testCase.expected)

        let resized = source.resized(width: testCase.width, height: testCase.height, filter: testCase.filter)

        #expect(resized.width == expected.width)
        #expect(resized.height == expected.height)
        #expect(resized.layout == expected.layout)
        #expect(GeometryFixtures.maxDifference(resized.pixels, expected.pixels) == 0)
    }

    @Test(arguments: filterNames.map { $0.0 })
    func patternResizeMatchesPillow(_ filter: ResampleFilter) throws {
        let name = filterNames.first { $0.0 == filter }?.1 ?? ""
        let expected = try GeometryFixtures.image("resize-pattern-\(name)-31x97.ppm")
        let source = GeometryFixtures.pattern(width: 64, height: 48, layout: .rgb)

        let resized = source.resized(width: 31, height: 97, filter: filter)

        #expect(GeometryFixtures.maxDifference(resized.pixels, expected.pixels) == 0)
    }

    @Test func maskResizeMatchesGrayImage() throws {
        let gray = try GeometryFixtures.image("photo-cups-gray.pgm")
        let expected = try GeometryFixtures.image("resize-cups-gray-bilinear-41x77.pgm")
        let mask = Mask(width: gray.width, height: gray.height, values: gray.pixels)

        let resized = mask.resized(width: 41, height: 77)

        #expect(resized.values == expected.pixels)
    }

    @Test func sameSizeResizeReturnsCopy() throws {
        let source = try GeometryFixtures.image("photo-kite.ppm")

        let resized = source.resized(width: source.width, height: source.height)

        #expect(resized == source)
    }

    @Test func constantImageStaysConstant() {
        let flat = Image(width: 33, height: 17, layout: .rgba, filledWith: 200)

        for filter in ResampleFilter.allCases {
            let resized = flat.resized(width: 101, height: 9, filter: filter)
            #expect(resized.pixels.allSatisfy { $0 == 200 }, "filter \(filter)")
        }
    }
}
