import Backends
import DaemonSupport
import EditPipeline
import Foundation
import Imaging
import Synchronization

/// A backend that paints every pixel it may edit in one colour and records what it was asked,
/// so tests can see exactly what the pipeline sent and where the result landed.
final class PaintBackend: EditBackend {
    let name: String
    let capabilities: BackendCapabilities
    let colour: [UInt8]
    let failure: BackendError?
    private let requests = Mutex<[EditRequest]>([])

    init(name: String = "paint", capabilities: BackendCapabilities = [.promptEdit, .maskedFill], colour: [UInt8] = [255, 0, 0], failure: BackendError? = nil) {
        self.name = name
        self.capabilities = capabilities
        self.colour = colour
        self.failure = failure
    }

    var received: [EditRequest] { requests.withLock { $0 } }

    func edit(_ request: EditRequest) async throws(BackendError) -> EditResult {
        requests.withLock { $0.append(request) }
        if let failure { throw failure }
        let rgb = request.image.converted(to: .rgb)
        var pixels = rgb.pixels
        for index in 0..<(rgb.width * rgb.height) where (request.mask?.values[index] ?? 255) >= 128 {
            pixels[index * 3] = colour[0]
            pixels[index * 3 + 1] = colour[1]
            pixels[index * 3 + 2] = colour[2]
        }
        return EditResult(image: Image(width: rgb.width, height: rgb.height, layout: .rgb, pixels: pixels), server: "paint-1")
    }
}

/// A temporary job folder with files, laid out like a claim.
struct JobFolder {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "kontextd-pipeline-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], as name: String) throws {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func write(_ text: String, as name: String) throws {
        try write(Array(text.utf8), as: name)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

enum Fixtures {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func photo(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/Photos/" + name)))
    }

    /// A gradient test image encoded as PNG, so decoded pixels are exact.
    static func gradientPNG(width: Int, height: Int) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                pixels[index] = UInt8(x * 255 / max(1, width - 1))
                pixels[index + 1] = UInt8(y * 255 / max(1, height - 1))
                pixels[index + 2] = UInt8((x + y) % 256)
            }
        }
        let image = Image(width: width, height: height, layout: .rgb, pixels: pixels)
        return try ImageEncoder.encode(image, options: EncodeOptions(format: .png))
    }

    static func makePipeline(_ backends: [any EditBackend], defaultBackend: String = "paint") -> EditPipeline {
        EditPipeline(
            backends: BackendRegistry(backends),
            settings: PipelineSettings(defaultBackend: defaultBackend),
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )
    }
}
