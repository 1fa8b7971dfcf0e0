import FluxEngine
import Imaging
import Testing

@testable import LocalBackend

@Suite struct LocalBackendTests {
    @Test(arguments: [
        (1024, 1024, nil, 1024, 1024),
        (1000, 750, nil, 992, 736),
        (1024, 1024, 0.25, 512, 512),
        (1248, 832, 0.25, 624, 416),
        (400, 300, 0.25, 400, 288),
        (8, 8, nil, 16, 16),
    ] as [(Int, Int, Double?, Int, Int)])
    func runSizeKeepsTheAspectRatioOnMultiplesOf16(width: Int, height: Int, limit: Double?, expectedWidth: Int, expectedHeight: Int) {
        let size = LocalKontextEdit.runSize(width: width, height: height, maxMegapixels: limit)
        #expect(size.width == expectedWidth)
        #expect(size.height == expectedHeight)
    }

    @Test func pixelsSurviveTheTensorRoundTrip() {
        let pixels = (0..<(5 * 3 * 3)).map { UInt8(($0 * 37) % 256) }
        let image = Image(width: 5, height: 3, layout: .rgb, pixels: pixels)
        let tensor = ImageTensors.tensor(from: image)
        #expect(tensor.shape == [3, 3, 5])
        #expect(tensor.storage[0] == Float(pixels[0]) / 127.5 - 1)
        #expect(tensor.storage[15] == Float(pixels[1]) / 127.5 - 1)
        #expect(ImageTensors.image(from: tensor) == image)
    }
}
