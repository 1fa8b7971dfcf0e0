import Imaging
import Testing

struct MaskErrorCase: CustomTestStringConvertible, Sendable {
    let error: MaskError
    let text: String

    var testDescription: String { text }
}

struct MaskBuilderTests {
    @Test func fromImageRejectsOtherSize() {
        let image = Image(width: 640, height: 480, layout: .gray)

        #expect(throws: MaskError.sizeMismatch(maskWidth: 640, maskHeight: 480, imageWidth: 1024, imageHeight: 768)) {
            try MaskBuilder.fromImage(image, width: 1024, height: 768)
        }
    }

    @Test func fromImageMatchesPillowLuminance() throws {
        let photo = try GeometryFixtures.image("photo-cups.ppm")
        let gray = try GeometryFixtures.image("photo-cups-gray.pgm")

        let mask = try MaskBuilder.fromImage(photo, width: photo.width, height: photo.height)

        #expect(mask.values == gray.pixels)
    }

    @Test func fromImageTreatsTransparentAsBlack() throws {
        let image = Image(width: 3, height: 1, layout: .grayAlpha, pixels: [255, 255, 255, 0, 200, 128])

        let mask = try MaskBuilder.fromImage(image, width: 3, height: 1)

        #expect(mask.values == [255, 0, 100])
    }

    @Test func fromAlphaSelectsTransparentPixels() throws {
        let image = try GeometryFixtures.image("photo-kite-rgba.pam")

        let mask = try MaskBuilder.fromAlpha(image)

        let alpha = stride(from: 3, to: image.pixels.count, by: 4).map { image.pixels[$0] }
        #expect(mask.values == alpha.map { 255 - $0 })
    }

    @Test func fromAlphaRejectsOpaqueLayout() {
        let image = Image(width: 4, height: 4, layout: .rgb)

        #expect(throws: MaskError.missingAlpha(layout: .rgb)) {
            try MaskBuilder.fromAlpha(image)
        }
    }

    @Test(arguments: [
        MaskErrorCase(
            error: .sizeMismatch(maskWidth: 640, maskHeight: 480, imageWidth: 1024, imageHeight: 768),
            text: "The mask image is 640x480 but the image is 1024x768; export the mask at 1024x768."
        ),
        MaskErrorCase(
            error: .missingAlpha(layout: .rgb),
            text: "The image has no alpha channel (layout 'rgb'), so 'mask: alpha' selects nothing; "
                + "save the image with transparency or give a mask image or shapes."
        ),
        MaskErrorCase(
            error: .polygonTooShort(pointCount: 2),
            text: "A mask polygon needs at least 3 points but has 2; add points or use 'rect'."
        ),
        MaskErrorCase(
            error: .invalidShapeSize(shape: "rect", width: 0, height: 5),
            text: "The mask rect has size 0.0x5.0; give a positive width and height."
        ),
    ])
    func errorText(_ testCase: MaskErrorCase) {
        #expect(testCase.error.description == testCase.text)
    }

    @Test func shapeValidationThrows() {
        #expect(throws: MaskError.polygonTooShort(pointCount: 2)) {
            try MaskShape2D.polygon([MaskPoint(x: 0, y: 0), MaskPoint(x: 1, y: 1)]).validate()
        }
        #expect(throws: MaskError.invalidShapeSize(shape: "ellipse", width: 10, height: -2)) {
            try MaskShape2D.ellipse(centerX: 5, centerY: 5, radiusX: 5, radiusY: -1).validate()
        }
    }

    @Test func rectOnPixelGridIsHard() {
        let mask = MaskBuilder.fromShapes([.rect(x: 2, y: 1, width: 3, height: 2)], width: 8, height: 4)

        for y in 0..<4 {
            for x in 0..<8 {
                let inside = (2..<5).contains(x) && (1..<3).contains(y)
                #expect(mask.values[y * 8 + x] == (inside ? 255 : 0), "pixel (\(x), \(y))")
            }
        }
    }

    @Test func rectEdgeOnHalfPixelIsHalfCovered() {
        let mask = MaskBuilder.fromShapes([.rect(x: 1.5, y: 0, width: 2, height: 1)], width: 5, height: 1)

        #expect(mask.values == [0, 128, 255, 128, 0])
    }

    @Test func ellipseAndPolygonAreasMatchGeometry() {
        let ellipse = MaskBuilder.fromShapes(
            [.ellipse(centerX: 50, centerY: 40, radiusX: 30, radiusY: 20)],
            width: 100,
            height: 80
        )
        let triangle = MaskBuilder.fromShapes(
            [.polygon([MaskPoint(x: 10, y: 10), MaskPoint(x: 90, y: 10), MaskPoint(x: 10, y: 70)])],
            width: 100,
            height: 80
        )

        let ellipseArea = Double(ellipse.values.reduce(0) { $0 + Int($1) }) / 255
        let triangleArea = Double(triangle.values.reduce(0) { $0 + Int($1) }) / 255
        #expect(abs(ellipseArea - Double.pi * 30 * 20) < 5)
        #expect(abs(triangleArea - 0.5 * 80 * 60) < 5)
        #expect(ellipse.values[40 * 100 + 50] == 255)
        #expect(ellipse.values[40 * 100 + 85] == 0)
        #expect(triangle.values[60 * 100 + 80] == 0)
    }

    @Test func shapesUnionTakesMaximum() {
        let shapes: [MaskShape2D] = [.rect(x: 0, y: 0, width: 4, height: 4), .rect(x: 2, y: 2, width: 4, height: 4)]

        let mask = MaskBuilder.fromShapes(shapes, width: 6, height: 6)

        #expect(mask.values.filter { $0 == 255 }.count == 16 + 16 - 4)
    }

    @Test(arguments: [2.0, 5.5])
    func featherMatchesSciPy(_ sigma: Double) throws {
        let mask = try GeometryFixtures.mask("mask-shapes.pgm")
        let expected = try GeometryFixtures.mask("mask-feather-\(sigma).pgm")

        let feathered = MaskBuilder.refined(mask, invert: false, grow: 0, feather: sigma)

        #expect(GeometryFixtures.maxDifference(feathered.values, expected.values) <= 1)
    }

    @Test(arguments: [3, 7])
    func growMatchesSciPyDiscDilation(_ radius: Int) throws {
        let mask = try GeometryFixtures.mask("mask-shapes.pgm")
        let expected = try GeometryFixtures.mask("mask-grow-\(radius).pgm")

        let grown = MaskBuilder.refined(mask, invert: false, grow: radius, feather: 0)

        #expect(grown.values == expected.values)
    }

    @Test func negativeGrowUndoesGrowOnRectangle() {
        let rect = MaskBuilder.fromShapes([.rect(x: 10, y: 12, width: 20, height: 9)], width: 50, height: 40)

        let grown = MaskBuilder.refined(rect, invert: false, grow: 4, feather: 0)
        let shrunk = MaskBuilder.refined(grown, invert: false, grow: -4, feather: 0)

        #expect(grown.values.filter { $0 == 255 }.count > 20 * 9)
        #expect(shrunk == rect)
    }

    @Test func invertThenGrowGrowsTheInvertedArea() {
        let rect = MaskBuilder.fromShapes([.rect(x: 10, y: 10, width: 20, height: 20)], width: 40, height: 40)

        let refined = MaskBuilder.refined(rect, invert: true, grow: 2, feather: 0)

        #expect(refined.values[20 * 40 + 20] == 0)
        #expect(refined.values[20 * 40 + 11] == 255)
        #expect(refined.values[20 * 40 + 12] == 0)
        #expect(refined.values[0] == 255)
    }
}
