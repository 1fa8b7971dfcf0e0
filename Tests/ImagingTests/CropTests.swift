import Imaging
import Testing

struct CropTests {
    @Test func imageCropCopiesRegion() {
        let image = GeometryFixtures.pattern(width: 40, height: 30, layout: .rgb)

        let crop = image.cropped(x: 5, y: 7, width: 10, height: 4)

        #expect(crop.width == 10)
        #expect(crop.height == 4)
        for row in 0..<4 {
            let expected = image.pixels[((7 + row) * 40 + 5) * 3..<((7 + row) * 40 + 15) * 3]
            #expect(Array(crop.pixels[(row * 30)..<((row + 1) * 30)]) == Array(expected))
        }
    }

    @Test func edgeReplicatingCropRepeatsBorder() {
        let image = GeometryFixtures.pattern(width: 8, height: 6, layout: .gray)

        let crop = image.croppedReplicatingEdges(x: -2, y: -1, width: 12, height: 8)

        #expect(crop.pixels[0] == image.pixels[0])
        #expect(crop.pixels[1 * 12 + 2] == image.pixels[0])
        #expect(crop.pixels[3 * 12 + 11] == image.pixels[2 * 8 + 7])
        #expect(crop.pixels[7 * 12 + 5] == image.pixels[5 * 8 + 3])
    }

    @Test func maskCropWithOutsideValue() {
        let mask = Mask(width: 4, height: 3, values: Array(1...12))

        let crop = mask.cropped(x: 2, y: -1, width: 4, height: 3, outsideValue: 255)

        #expect(crop.values == [255, 255, 255, 255, 3, 4, 255, 255, 7, 8, 255, 255])
    }

    @Test func maskCropInside() {
        let mask = Mask(width: 4, height: 3, values: Array(1...12))

        let crop = mask.cropped(x: 1, y: 1, width: 2, height: 2)

        #expect(crop.values == [6, 7, 10, 11])
    }
}
