import Backends
import Foundation
import Imaging

/// Photo crops and mask shapes for the fill tests.
enum FillFixtures {
    /// The 192x192 crops that Fixtures/make_fixtures.py cuts from the photos in Tests/Photos.
    static let cropNames = ["moss", "boards", "cloud", "tree", "cups"]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures"
    )

    static func photo(_ name: String) throws -> Image {
        try PortableAnymap.read(path: directory.appendingPathComponent("\(name).ppm").path)
    }

    /// Mask shapes, each sized as a fraction of the image so that one shape fits every crop.
    enum Shape: String, CaseIterable, Sendable {
        /// A rectangle of about 10% of the image, off centre.
        case rect
        /// An ellipse of about 9% of the image.
        case ellipse
        /// A five-lobed blob of about 11% of the image.
        case irregular
        /// A rectangle of 25% of the image, the largest hole the pipeline typically sends.
        case largeRect

        func contains(x: Int, y: Int, width: Int, height: Int) -> Bool {
            let u = (Double(x) + 0.5) / Double(width)
            let v = (Double(y) + 0.5) / Double(height)
            switch self {
            case .rect:
                return u >= 0.35 && u < 0.65 && v >= 0.30 && v < 0.62
            case .ellipse:
                let du = (u - 0.5) / 0.2
                let dv = (v - 0.48) / 0.15
                return du * du + dv * dv <= 1
            case .irregular:
                let du = u - 0.45
                let dv = v - 0.55
                let angle = atan2(dv, du)
                let radius = 0.17 * (1 + 0.25 * sin(3 * angle) + 0.15 * cos(5 * angle + 1))
                return (du * du + dv * dv).squareRoot() <= radius
            case .largeRect:
                return u >= 0.25 && u < 0.75 && v >= 0.25 && v < 0.75
            }
        }

        /// Returns a hard mask: 255 inside the shape, 0 outside.
        func mask(width: Int, height: Int) -> Mask {
            var values = [UInt8](repeating: 0, count: width * height)
            for y in 0..<height {
                for x in 0..<width where contains(x: x, y: y, width: width, height: height) {
                    values[y * width + x] = 255
                }
            }
            return Mask(width: width, height: height, values: values)
        }
    }

    static func request(image: Image, mask: Mask?, prompt: String? = nil, seed: UInt64 = 7) -> EditRequest {
        EditRequest(
            jobID: "job-1",
            image: image,
            mask: mask,
            prompt: prompt,
            seed: seed,
            steps: 20,
            guidance: 2.5,
            outputWidth: image.width,
            outputHeight: image.height
        )
    }

    /// Writes `image` as PPM into the folder that `KONTEXTD_FILL_OUTPUT` names, for looking at results;
    /// does nothing when the variable is unset.
    static func saveForInspection(_ image: Image, name: String) throws {
        guard let folder = ProcessInfo.processInfo.environment["KONTEXTD_FILL_OUTPUT"] else { return }
        try PortableAnymap.write(image, path: folder + "/" + name + ".ppm")
    }
}
