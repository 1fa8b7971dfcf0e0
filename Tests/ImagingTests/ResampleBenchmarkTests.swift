import Foundation
import Imaging
import Testing

/// Timings of the geometry stages on a 2560x1600 image; run with KONTEXTD_BENCHMARK=1. Prints, never asserts.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KONTEXTD_BENCHMARK"] == "1"))
struct ResampleBenchmarkTests {
    static func measure(_ label: String, repetitions: Int = 5, _ body: () -> Void) {
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print("benchmark \(label): best of \(repetitions) \(String(format: "%.1f", best)) ms")
    }

    @Test func geometryStages() {
        let photo = GeometryFixtures.pattern(width: 2560, height: 1600, layout: .rgb)
        let mask = MaskBuilder.fromShapes(
            [.ellipse(centerX: 1200, centerY: 800, radiusX: 300, radiusY: 200)],
            width: 2560,
            height: 1600
        )
        var sink = 0

        Self.measure("kontextScaled 2560x1600 -> 1328x800") { sink &+= Int(photo.kontextScaled().pixels[0]) }
        Self.measure("lanczos3 2560x1600 -> 1280x800") {
            sink &+= Int(photo.resized(width: 1280, height: 800).pixels[0])
        }
        Self.measure("lanczos3 1328x800 -> 2560x1600") {
            sink &+= Int(photo.resized(width: 1328, height: 800).resized(width: 2560, height: 1600).pixels[0])
        }
        Self.measure("bicubic 2560x1600 -> 1000x700") {
            sink &+= Int(photo.resized(width: 1000, height: 700, filter: .bicubic).pixels[0])
        }
        Self.measure("fromShapes ellipse 2560x1600") {
            sink &+= Int(
                MaskBuilder.fromShapes(
                    [.ellipse(centerX: 1200, centerY: 800, radiusX: 300, radiusY: 200)],
                    width: 2560,
                    height: 1600
                ).values[0]
            )
        }
        Self.measure("refined grow 16 feather 8") {
            sink &+= Int(MaskBuilder.refined(mask, invert: false, grow: 16, feather: 8).values[0])
        }
        Self.measure("Inpaint.crop default settings") {
            sink &+= Int(Inpaint.crop(photo, mask: mask, settings: InpaintSettings()).image.pixels[0])
        }
        let crop = Inpaint.crop(photo, mask: mask, settings: InpaintSettings())
        Self.measure("InpaintStitcher.stitch") { sink &+= Int(crop.stitcher.stitch(crop.image, into: photo).pixels[0]) }
        #expect(sink >= 0)
    }
}
