import Backends
import DaemonSupport
import FakeServers
import Foundation
import Imaging
import Synchronization

/// Shared setup for the hosted-backend tests: shipped profiles pointed at a fake, and a checkpoint in memory.
enum HostedFixtures {
    static let profileFolder: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.path + "/Fixtures/hosted"
    }()

    static let photos: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.path + "/Photos"
    }()

    /// The shipped profile that drives each fake flavor.
    static func profileName(_ flavor: FakeHosted.Flavor) -> String {
        switch flavor {
        case .bfl: "bfl-kontext-pro"
        case .bflFill: "bfl-fill"
        case .replicate: "replicate-kontext-pro"
        case .fal: "fal-kontext-pro"
        case .runs: "runs-generic"
        }
    }

    static func loadProfile(_ name: String) throws -> HostedProfile {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(profileFolder)/\(name).json"))
        guard let json = JSONValue.parse([UInt8](data)) else { throw CocoaError(.fileReadCorruptFile) }
        return try HostedProfile(json: json, source: name)
    }

    /// The shipped profile for `flavor`, aimed at `server`, with short poll intervals and timeouts.
    static func profile(for server: FakeHosted, jobTimeout: Double = 20) throws -> HostedProfile {
        var profile = try loadProfile(profileName(server.flavor))
        profile.baseURL = try HostedURL(parsing: server.baseURL)
        profile.polling.initial = 0.02
        profile.polling.maximum = 0.1
        profile.timeouts.request = 5
        profile.timeouts.job = jobTimeout
        profile.timeouts.submitWait = 10
        return profile
    }

    static func startServer(_ flavor: FakeHosted.Flavor, configure: (inout FakeHosted.Settings) -> Void = { _ in }) throws -> FakeHosted {
        var settings = FakeHosted.Settings()
        settings.pendingPolls = 2
        configure(&settings)
        let server = FakeHosted(flavor: flavor, settings: settings)
        try server.start()
        return server
    }

    /// A 96×64 gradient, so every test image differs pixel by pixel and inverting it is visible.
    static func gradient(width: Int = 96, height: Int = 64) -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                pixels[index] = UInt8(x * 255 / (width - 1))
                pixels[index + 1] = UInt8(y * 255 / (height - 1))
                pixels[index + 2] = 128
            }
        }
        return Image(width: width, height: height, layout: .rgb, pixels: pixels)
    }

    static func request(_ image: Image, checkpoint: MemoryCheckpoint?, mask: Mask? = nil, prompt: String? = "make it night") -> EditRequest {
        var request = EditRequest(
            jobID: "job-1",
            image: image,
            mask: mask,
            prompt: prompt,
            seed: 7,
            steps: 28,
            guidance: 2.5,
            outputWidth: image.width,
            outputHeight: image.height
        )
        request.checkpoint = checkpoint
        return request
    }
}

/// A checkpoint kept in memory, with a count of saves.
final class MemoryCheckpoint: BackendCheckpoint {
    private let values = Mutex<[String: String]>([:])

    func load() -> [String: String] { values.withLock { $0 } }

    func save(_ newValues: [String: String]) throws {
        values.withLock { $0 = newValues }
    }
}
