import Imaging
import Testing

struct TargetSizeCase: CustomTestStringConvertible, Sendable {
    let target: TargetSize
    let input: (width: Int, height: Int)
    let expected: (width: Int, height: Int)

    var testDescription: String { "\(target) of \(input.width)x\(input.height)" }
}

struct TargetSizeTests {
    @Test(arguments: [
        TargetSizeCase(target: .keep, input: (1001, 777), expected: (1001, 777)),
        TargetSizeCase(target: .exact(width: 123, height: 45), input: (1001, 777), expected: (123, 45)),
        TargetSizeCase(target: .kontext, input: (1920, 1080), expected: (1392, 752)),
        TargetSizeCase(target: .longEdge(1024), input: (4000, 3000), expected: (1024, 768)),
        TargetSizeCase(target: .longEdge(1000), input: (1080, 1920), expected: (560, 1008)),
        TargetSizeCase(target: .longEdge(8), input: (300, 30), expected: (16, 16)),
        TargetSizeCase(target: .aspect(width: 16, height: 9, longEdge: 1280), input: (500, 500), expected: (1280, 720)),
        TargetSizeCase(target: .aspect(width: 2, height: 3, longEdge: nil), input: (1200, 900), expected: (800, 1200)),
        TargetSizeCase(target: .megapixels(1.0), input: (2000, 1000), expected: (1456, 720)),
        TargetSizeCase(target: .megapixels(0.25), input: (512, 512), expected: (512, 512)),
    ])
    func resolvesSize(_ testCase: TargetSizeCase) {
        let size = testCase.target.resolve(width: testCase.input.width, height: testCase.input.height)

        #expect(size.width == testCase.expected.width)
        #expect(size.height == testCase.expected.height)
    }

    @Test(arguments: [
        TargetSize.kontext, .longEdge(777), .aspect(width: 5, height: 4, longEdge: 999), .megapixels(0.7),
    ])
    func computedSizesAreMultiplesOf16(_ target: TargetSize) {
        for (width, height) in [(3000, 2000), (17, 999), (640, 480), (1, 1)] {
            let size = target.resolve(width: width, height: height)
            #expect(size.width % 16 == 0, "\(target) of \(width)x\(height)")
            #expect(size.width >= 16, "\(target) of \(width)x\(height)")
            #expect(size.height % 16 == 0, "\(target) of \(width)x\(height)")
            #expect(size.height >= 16, "\(target) of \(width)x\(height)")
        }
    }
}

struct TargetSizeErrorCase: CustomTestStringConvertible, Sendable {
    let target: TargetSize
    let error: TargetSizeError
    let text: String

    var testDescription: String { text }
}

struct TargetSizeValidationTests {
    @Test(arguments: [
        TargetSizeErrorCase(
            target: .exact(width: 0, height: 768),
            error: .invalidExactSize(width: 0, height: 768),
            text: "The output size 0x768 is invalid; give a positive width and height such as 1024x768."
        ),
        TargetSizeErrorCase(
            target: .aspect(width: 16, height: -9, longEdge: nil),
            error: .invalidAspect(width: 16, height: -9),
            text: "The aspect ratio 16:-9 is invalid; give two positive numbers such as 16:9."
        ),
        TargetSizeErrorCase(
            target: .aspect(width: 16, height: 9, longEdge: 0),
            error: .invalidLongEdge(0),
            text: "The long edge 0 is invalid; give a positive number of pixels such as 1024."
        ),
        TargetSizeErrorCase(
            target: .megapixels(-1),
            error: .invalidMegapixels(-1),
            text: "The size of -1.0 megapixels is invalid; give a positive number such as 1.0."
        ),
    ])
    func invalidSizeIsRejected(_ testCase: TargetSizeErrorCase) {
        #expect(throws: testCase.error) { try testCase.target.validate() }
        #expect(testCase.error.description == testCase.text)
    }

    @Test(arguments: [TargetSize.keep, .kontext, .exact(width: 1, height: 1), .longEdge(16), .megapixels(0.5)])
    func validSizeIsAccepted(_ target: TargetSize) throws {
        try target.validate()
    }
}
