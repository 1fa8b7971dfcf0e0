import Testing

@testable import Imaging

/// A scalar port of Pillow's `ImagingResampleHorizontal_8bpc` and `ImagingResampleVertical_8bpc`.
///
/// The vectorised passes must return the same bytes as these plain loops for every size and layout.
enum ReferenceResample {
    typealias Raster = ResampleConvolution.Raster

    static func resize(_ input: Raster, width: Int, height: Int, filter: ResampleFilter) -> Raster {
        let vertical = ResampleCoefficients(inputSize: input.height, outputSize: height, filter: filter)
        let horizontal = ResampleCoefficients(inputSize: input.width, outputSize: width, filter: filter)
        let needsHorizontal = width != input.width
        let needsVertical = height != input.height
        if needsHorizontal && needsVertical
            && ResampleConvolution.runsVerticalPassFirst(input, width: width, height: height)
        {
            return horizontalPass(verticalPass(input, vertical), horizontal)
        }
        var current = input
        if needsHorizontal { current = horizontalPass(current, horizontal) }
        if needsVertical { current = verticalPass(current, vertical) }
        return current
    }

    static func horizontalPass(_ input: Raster, _ table: ResampleCoefficients) -> Raster {
        let width = table.starts.count
        let channels = input.channels
        var pixels = [UInt8](repeating: 0, count: width * input.height * channels)
        for y in 0..<input.height {
            for x in 0..<width {
                for channel in 0..<channels {
                    var sum = ResampleConvolution.roundingHalf
                    for tap in 0..<table.counts[x] {
                        let value = input.pixels[(y * input.width + table.starts[x] + tap) * channels + channel]
                        sum += Int32(value) * table.coefficients[x * table.taps + tap]
                    }
                    pixels[(y * width + x) * channels + channel] = ResampleConvolution.clip(sum)
                }
            }
        }
        return Raster(width: width, height: input.height, channels: channels, pixels: pixels)
    }

    static func verticalPass(_ input: Raster, _ table: ResampleCoefficients) -> Raster {
        let height = table.starts.count
        let rowBytes = input.width * input.channels
        var pixels = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            for index in 0..<rowBytes {
                var sum = ResampleConvolution.roundingHalf
                for tap in 0..<table.counts[y] {
                    let value = input.pixels[(table.starts[y] + tap) * rowBytes + index]
                    sum += Int32(value) * table.coefficients[y * table.taps + tap]
                }
                pixels[y * rowBytes + index] = ResampleConvolution.clip(sum)
            }
        }
        return Raster(width: input.width, height: height, channels: input.channels, pixels: pixels)
    }
}

struct ResampleExactnessCase: CustomTestStringConvertible, Sendable {
    let photo: String
    let channels: Int
    let width: Int
    let height: Int
    let filter: ResampleFilter

    var testDescription: String { "\(photo) \(channels)ch \(width)x\(height) \(filter)" }
}

private let exactnessCases: [ResampleExactnessCase] =
    CodecFixtures.photoNames.map { ResampleExactnessCase(photo: $0, channels: 3, width: 1328, height: 800, filter: .lanczos3) }
    + [
        // Vertical pass first, as Pillow orders it for a wide, flat output.
        ResampleExactnessCase(photo: "kite.jpg", channels: 3, width: 2500, height: 500, filter: .lanczos3),
        // Row lengths that leave a scalar tail, and bands that end part-way.
        ResampleExactnessCase(photo: "kite.jpg", channels: 3, width: 777, height: 333, filter: .lanczos3),
        ResampleExactnessCase(photo: "path.jpg", channels: 1, width: 37, height: 1201, filter: .lanczos3),
        ResampleExactnessCase(photo: "path.jpg", channels: 4, width: 901, height: 1650, filter: .bicubic),
        ResampleExactnessCase(photo: "autumn.jpg", channels: 2, width: 3001, height: 999, filter: .bilinear),
    ]

struct ResampleExactnessTests {
    /// Returns the photo's Kontext centre crop with `channels` channels built from its RGB bytes.
    static func source(_ photo: String, channels: Int) throws -> ResampleConvolution.Raster {
        let image = try ImageDecoder.decode(CodecFixtures.photo(photo)).image
        let crop = KontextResolution.centerCrop(width: image.width, height: image.height, toAspectOf: (1328, 800))
        let cropped = image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height)
        var pixels = [UInt8]()
        pixels.reserveCapacity(cropped.width * cropped.height * channels)
        for start in stride(from: 0, to: cropped.pixels.count, by: 3) {
            // Cycling through R, G, B fills gray, gray-alpha and RGBA layouts with photo content.
            for channel in 0..<channels { pixels.append(cropped.pixels[start + channel % 3]) }
        }
        return ResampleConvolution.Raster(width: cropped.width, height: cropped.height, channels: channels, pixels: pixels)
    }

    @Test(arguments: exactnessCases)
    func resizeMatchesScalarReference(_ testCase: ResampleExactnessCase) throws {
        let input = try Self.source(testCase.photo, channels: testCase.channels)

        let fast = ResampleConvolution.resize(input, width: testCase.width, height: testCase.height, filter: testCase.filter)
        let reference = ReferenceResample.resize(input, width: testCase.width, height: testCase.height, filter: testCase.filter)

        #expect(fast.width == testCase.width)
        #expect(fast.height == testCase.height)
        #expect(fast.pixels.count == reference.pixels.count)
        let firstDifference = fast.pixels.indices.first { fast.pixels[$0] != reference.pixels[$0] }
        #expect(firstDifference == nil, "first differing byte at \(firstDifference ?? -1)")
    }
}
