import Foundation
import Imaging

/// Times decode, Kontext scale and JPEG encode of each photo through Imaging's public API.
///
/// The file is read into memory once before timing, so the decode figure excludes disk reads, as the
/// Pillow and pyvips runners in `bench/imaging.py` do.
struct ImagingBenchmark {
    var repeats: Int
    var quality: Int

    /// Per-photo stage durations in milliseconds, one entry per repeat.
    struct PhotoResult {
        var path: String
        var inputSize: (width: Int, height: Int)
        var outputSize: (width: Int, height: Int)
        var outputBytes: Int
        var decode: [Double] = []
        var scale: [Double] = []
        var encode: [Double] = []
        /// The scale stage measured again in its two steps: the centre crop (a copy) and the Lanczos resize.
        var crop: [Double] = []
        var resize: [Double] = []

        /// Returns the result as one JSON object on one line, for the Python driver.
        func jsonLine() -> String {
            func list(_ values: [Double]) -> String {
                "[" + values.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"
            }
            let name = (path as NSString).lastPathComponent
            return "{\"photo\": \"\(name)\", \"input\": [\(inputSize.width), \(inputSize.height)], "
                + "\"output\": [\(outputSize.width), \(outputSize.height)], \"output_bytes\": \(outputBytes), "
                + "\"decode_ms\": \(list(decode)), \"scale_ms\": \(list(scale)), \"encode_ms\": \(list(encode)), "
                + "\"crop_ms\": \(list(crop)), \"resize_ms\": \(list(resize))}"
        }
    }

    func run(photos: [String]) throws(BenchmarkError) -> [PhotoResult] {
        var results: [PhotoResult] = []
        for path in photos {
            results.append(try measure(path))
        }
        return results
    }

    private func measure(_ path: String) throws(BenchmarkError) -> PhotoResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path)
        }
        let bytes = [UInt8](data)
        let options = EncodeOptions(format: .jpeg, quality: quality)
        var result: PhotoResult?
        // One untimed round first, so page faults of the first allocation do not count.
        for round in 0...repeats {
            let clock = ContinuousClock()
            let start = clock.now
            let decoded = try decode(bytes, path: path)
            let decodedAt = clock.now
            let scaled = decoded.image.kontextScaled()
            let scaledAt = clock.now
            let encoded = try encode(scaled, options: options, path: path)
            let encodedAt = clock.now

            if result == nil {
                result = PhotoResult(
                    path: path,
                    inputSize: (decoded.image.width, decoded.image.height),
                    outputSize: (scaled.width, scaled.height),
                    outputBytes: encoded.count
                )
            }
            guard round > 0 else { continue }
            result?.decode.append(Self.milliseconds(decodedAt - start))
            result?.scale.append(Self.milliseconds(scaledAt - decodedAt))
            result?.encode.append(Self.milliseconds(encodedAt - scaledAt))

            let steps = Self.timeScaleSteps(decoded.image)
            result?.crop.append(steps.crop)
            result?.resize.append(steps.resize)
        }
        // The loop runs at least once, so `result` is set.
        return result!
    }

    private func decode(_ bytes: [UInt8], path: String) throws(BenchmarkError) -> DecodedImage {
        do {
            return try ImageDecoder.decode(bytes)
        } catch {
            throw .decoding(path: path, reason: error.description)
        }
    }

    private func encode(_ image: Image, options: EncodeOptions, path: String) throws(BenchmarkError) -> [UInt8] {
        do {
            return try ImageEncoder.encode(image, options: options)
        } catch {
            throw .encoding(path: path, reason: error.description)
        }
    }

    /// Times the two steps of `Image.kontextScaled()` separately, through the same public calls it makes.
    private static func timeScaleSteps(_ image: Image) -> (crop: Double, resize: Double) {
        let target = KontextResolution.nearest(width: image.width, height: image.height)
        let region = KontextResolution.centerCrop(width: image.width, height: image.height, toAspectOf: target)
        let clock = ContinuousClock()
        let start = clock.now
        let centred = image.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
        let croppedAt = clock.now
        let scaled = centred.resized(width: target.width, height: target.height, filter: .lanczos3)
        let resizedAt = clock.now
        precondition(scaled.width == target.width, "resized returned another width than requested")
        return (milliseconds(croppedAt - start), milliseconds(resizedAt - croppedAt))
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }
}
