import Testing

@testable import Imaging

struct ImageStitchTests {
    static func region(_ image: Image, x: Int, y: Int, width: Int, height: Int) -> Image {
        image.cropped(x: x, y: y, width: width, height: height)
    }

    @Test(arguments: ImageStitchOptions.Direction.allCases)
    func sameSizeImagesJoinInDirection(_ direction: ImageStitchOptions.Direction) throws {
        let first = try GeometryFixtures.image("photo-kite.ppm")
        let second = try GeometryFixtures.image("photo-cups.ppm")

        let stitched = ImageStitcher.stitch([first, second], options: ImageStitchOptions(direction: direction))

        let horizontal = direction == .right || direction == .left
        #expect(stitched.width == (horizontal ? 192 : 96))
        #expect(stitched.height == (horizontal ? 64 : 128))
        let firstAtStart = direction == .right || direction == .down
        let startImage = Self.region(stitched, x: 0, y: 0, width: 96, height: 64)
        let endImage = Self.region(stitched, x: horizontal ? 96 : 0, y: horizontal ? 0 : 64, width: 96, height: 64)
        #expect(startImage == (firstAtStart ? first : second))
        #expect(endImage == (firstAtStart ? second : first))
    }

    @Test(arguments: [
        (ImageStitchOptions.SpacingColor.white, [UInt8](arrayLiteral: 255, 255, 255)),
        (.black, [0, 0, 0]), (.red, [255, 0, 0]), (.green, [0, 255, 0]), (.blue, [0, 0, 255]),
    ])
    func spacingIsEvenAndColoured(_ color: ImageStitchOptions.SpacingColor, _ rgb: [UInt8]) throws {
        let first = try GeometryFixtures.image("photo-kite.ppm")
        let options = ImageStitchOptions(direction: .right, spacing: 5, spacingColor: color)

        let stitched = ImageStitcher.stitch([first, first], options: options)

        #expect(stitched.width == 96 + 6 + 96)
        let gap = Self.region(stitched, x: 96, y: 0, width: 6, height: 64)
        #expect(gap.pixels == Array((0..<(6 * 64)).map { _ in rgb }.joined()))
        #expect(Self.region(stitched, x: 102, y: 0, width: 96, height: 64) == first)
    }

    @Test func verticalSpacingSpansWidth() throws {
        let first = try GeometryFixtures.image("photo-kite.ppm")

        let stitched = ImageStitcher.stitch([first, first], options: ImageStitchOptions(direction: .up, spacing: 4))

        #expect(stitched.width == 96)
        #expect(stitched.height == 64 + 4 + 64)
        #expect(Self.region(stitched, x: 0, y: 64, width: 96, height: 4).pixels.allSatisfy { $0 == 255 })
    }

    @Test func matchSizeResizesSecondWithLanczos() throws {
        let first = try GeometryFixtures.image("photo-kite-480x300.ppm").cropped(x: 0, y: 0, width: 200, height: 80)
        let second = try GeometryFixtures.image("photo-cups.ppm")

        let stitched = ImageStitcher.stitch([first, second], options: ImageStitchOptions(direction: .left))

        // 80 * 96 / 64 = 120.
        let expectedSecond = second.resized(width: 120, height: 80, filter: .lanczos3)
        #expect(stitched.width == 120 + 200)
        #expect(stitched.height == 80)
        #expect(Self.region(stitched, x: 0, y: 0, width: 120, height: 80) == expectedSecond)
        #expect(Self.region(stitched, x: 120, y: 0, width: 200, height: 80) == first)
    }

    @Test func matchSizeTruncatesLikePythonInt() {
        let first = GeometryFixtures.pattern(width: 47, height: 10, layout: .rgb)
        let second = GeometryFixtures.pattern(width: 30, height: 20, layout: .rgb)

        let stitched = ImageStitcher.stitch([first, second], options: ImageStitchOptions(direction: .down))

        // int(47 / 1.5) = 31.
        #expect(stitched.width == 47)
        #expect(stitched.height == 10 + 31)
    }

    @Test func withoutMatchSmallerImageIsPaddedCentred() {
        let first = GeometryFixtures.pattern(width: 10, height: 40, layout: .rgb)
        let second = GeometryFixtures.pattern(width: 7, height: 21, layout: .rgb)
        let options = ImageStitchOptions(direction: .right, matchSize: false, spacingColor: .black)

        let stitched = ImageStitcher.stitch([first, second], options: options)

        #expect(stitched.width == 17)
        #expect(stitched.height == 40)
        // 19 rows of padding: 9 above and 10 below.
        #expect(Self.region(stitched, x: 10, y: 0, width: 7, height: 9).pixels.allSatisfy { $0 == 0 })
        #expect(Self.region(stitched, x: 10, y: 9, width: 7, height: 21) == second)
        #expect(Self.region(stitched, x: 10, y: 30, width: 7, height: 10).pixels.allSatisfy { $0 == 0 })
        #expect(Self.region(stitched, x: 0, y: 0, width: 10, height: 40) == first)
    }

    @Test func mixedLayoutsGainColourAndAlpha() {
        let gray = Image(width: 4, height: 4, layout: .gray, filledWith: 100)
        let rgba = Image(width: 4, height: 4, layout: .rgba, pixels: [UInt8](repeating: 9, count: 64))

        let stitched = ImageStitcher.stitch([gray, rgba], options: ImageStitchOptions())

        #expect(stitched.layout == .rgba)
        #expect(Array(stitched.pixels[0..<4]) == [100, 100, 100, 255])
        #expect(Array(stitched.pixels[16..<20]) == [9, 9, 9, 9])
    }

    @Test func threeImagesChainInOrder() {
        let images = (1...3).map { Image(width: 2, height: 2, layout: .gray, filledWith: UInt8($0)) }

        let right = ImageStitcher.stitch(images, options: ImageStitchOptions(direction: .right))
        let left = ImageStitcher.stitch(images, options: ImageStitchOptions(direction: .left))

        #expect(Array(right.pixels[0..<6]) == [1, 1, 2, 2, 3, 3])
        #expect(Array(left.pixels[0..<6]) == [3, 3, 2, 2, 1, 1])
    }

    @Test func singleImageIsReturnedUnchanged() throws {
        let image = try GeometryFixtures.image("photo-kite.ppm")

        #expect(ImageStitcher.stitch([image], options: ImageStitchOptions(spacing: 8)) == image)
    }
}
