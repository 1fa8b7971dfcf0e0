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

struct RegionResizeCase: CustomTestStringConvertible, Sendable {
    let layout: PixelLayout
    let region: (x: Int, y: Int, width: Int, height: Int)
    let width: Int
    let height: Int
    let filter: ResampleFilter

    var testDescription: String {
        "\(layout) \(region.width)x\(region.height)+\(region.x)+\(region.y) to \(width)x\(height) \(filter)"
    }
}

private let regionCases: [RegionResizeCase] = [
    RegionResizeCase(layout: .rgb, region: (0, 29, 2560, 1542), width: 1328, height: 800, filter: .lanczos3),
    // Pillow's vertical-first order, reading the window in the vertical pass.
    RegionResizeCase(layout: .rgb, region: (101, 37, 2003, 1201), width: 1900, height: 300, filter: .lanczos3),
    RegionResizeCase(layout: .rgb, region: (7, 3, 999, 1001), width: 999, height: 500, filter: .bicubic),
    RegionResizeCase(layout: .gray, region: (1001, 13, 333, 1587), width: 70, height: 2000, filter: .bilinear),
    RegionResizeCase(layout: .rgb, region: (50, 60, 700, 500), width: 301, height: 209, filter: .nearest),
    // Alpha takes the copying path, which must give the same bytes.
    RegionResizeCase(layout: .rgba, region: (400, 200, 800, 600), width: 123, height: 456, filter: .lanczos3),
]

struct RegionResizeTests {
    /// Returns kite.jpg in `layout`, cycling through its R, G and B bytes to fill the channels.
    static func photo(_ layout: PixelLayout) throws -> Image {
        let image = try ImageDecoder.decode(CodecFixtures.photo("kite.jpg")).image
        guard layout != .rgb else { return image }
        var pixels = [UInt8]()
        pixels.reserveCapacity(image.width * image.height * layout.channels)
        for start in stride(from: 0, to: image.pixels.count, by: 3) {
            for channel in 0..<layout.channels { pixels.append(image.pixels[start + channel % 3]) }
        }
        return Image(width: image.width, height: image.height, layout: layout, pixels: pixels)
    }

    @Test(arguments: regionCases)
    func regionResizeMatchesCropThenResize(_ testCase: RegionResizeCase) throws {
        let image = try Self.photo(testCase.layout)
        let region = testCase.region

        let direct = image.resized(region: region, width: testCase.width, height: testCase.height, filter: testCase.filter)
        let copied = image.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
            .resized(width: testCase.width, height: testCase.height, filter: testCase.filter)

        #expect(direct.width == testCase.width)
        #expect(direct.height == testCase.height)
        #expect(direct.layout == testCase.layout)
        #expect(direct.pixels == copied.pixels)
    }
}
