import Backends
import DaemonSupport
import FakeServers
import Foundation
import Imaging
import Synchronization

/// Measures how busy the ComfyUI backend keeps a pool of fake servers.
///
/// Usage: bench-comfyui [--jobs N] [--servers N] [--job-ms N] [--workers N] [--size PIXELS] [--queue-ahead N]
/// Each fake server runs one prompt at a time for `--job-ms` milliseconds. `--workers` tasks call
/// `edit` concurrently, as the daemon's pipeline workers do.

struct Options {
    var jobs = 100
    var servers = 2
    var jobMilliseconds = 200
    var workers = 8
    var size = 512
    var queueAhead = 1

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let text = iterator.next(), let value = Int(text), value >= 0 else {
                fatalError("\(flag) needs an integer value of 0 or more")
            }
            switch flag {
            case "--jobs": jobs = value
            case "--servers": servers = value
            case "--job-ms": jobMilliseconds = value
            case "--workers": workers = value
            case "--size": size = value
            case "--queue-ahead": queueAhead = value
            default:
                fatalError(
                    "unknown option '\(flag)'; use --jobs, --servers, --job-ms, --workers, --size or --queue-ahead"
                )
            }
        }
    }
}

final class DiscardingLogHandler: LogHandler {
    func emit(_ record: LogRecord) {}
}

let coding = ComfyUIImageCoding(encodePNG: { StoredPNG.encode($0) }, decode: { try StoredPNG.decode($0) })

func makeImage(index: Int, size: Int) -> Image {
    var pixels = [UInt8](repeating: 0, count: size * size * 3)
    for offset in stride(from: 0, to: pixels.count, by: 3) {
        pixels[offset] = UInt8(index % 256)
        pixels[offset + 1] = UInt8((offset / 3) % 251)
        pixels[offset + 2] = 128
    }
    return Image(width: size, height: size, layout: .rgb, pixels: pixels)
}

func makeRequest(index: Int, size: Int) -> EditRequest {
    EditRequest(
        jobID: "bench-\(index)",
        image: makeImage(index: index, size: size),
        mask: nil,
        prompt: "invert it",
        seed: UInt64(index),
        steps: 20,
        guidance: 2.5,
        outputWidth: size,
        outputHeight: size
    )
}

func startFakes(count: Int, jobTime: Duration) throws -> [FakeComfyUI] {
    try (0..<count).map { _ in
        var settings = FakeComfyUI.Settings()
        settings.processingTime = jobTime
        let fake = FakeComfyUI(settings: settings)
        try fake.start()
        return fake
    }
}

func makeBackend(_ fakes: [FakeComfyUI], queueAhead: Int) throws -> ComfyUIBackend {
    let configuration = ComfyUIConfiguration(
        name: "bench",
        servers: fakes.map { ComfyUIServer(host: "127.0.0.1", port: $0.port, queueAhead: queueAhead) }
    )
    return try ComfyUIBackend(
        configuration: configuration,
        coding: coding,
        logger: Logger(label: "bench", handler: DiscardingLogHandler())
    )
}

/// Runs `jobs` edits with `workers` concurrent callers; returns the wall time.
func runJobs(_ backend: ComfyUIBackend, jobs: Int, workers: Int, size: Int) async throws -> Duration {
    let next = ManagedCounter()
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<workers {
            group.addTask {
                while let index = next.take(below: jobs) {
                    let result = try await backend.edit(makeRequest(index: index, size: size))
                    // The fake inverts the image; check the result came from this job.
                    guard result.image.pixels[0] == 255 - UInt8(index % 256) else {
                        fatalError("job \(index) returned another job's image")
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    return started.duration(to: .now)
}

final class ManagedCounter: Sendable {
    private let value = Mutex(0)

    func take(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let options = Options(arguments: CommandLine.arguments)
let jobTime = Duration.milliseconds(options.jobMilliseconds)

// Protocol overhead: one caller, one server, zero processing time.
let idleFakes = try startFakes(count: 1, jobTime: .zero)
let idleBackend = try makeBackend(idleFakes, queueAhead: 0)
_ = try await runJobs(idleBackend, jobs: 3, workers: 1, size: options.size)
let serialJobs = 20
let serialTime = try await runJobs(idleBackend, jobs: serialJobs, workers: 1, size: options.size)
idleBackend.shutdown()
idleFakes.forEach { $0.stop() }

// Utilisation: the pool under load.
let fakes = try startFakes(count: options.servers, jobTime: jobTime)
let backend = try makeBackend(fakes, queueAhead: options.queueAhead)
let wall = try await runJobs(backend, jobs: options.jobs, workers: options.workers, size: options.size)
backend.shutdown()
let busy = fakes.reduce(Duration.zero) { $0 + $1.busyTime }
fakes.forEach { $0.stop() }

let ideal = seconds(jobTime) * Double(options.jobs) / Double(options.servers)
let utilisation = seconds(busy) / (seconds(wall) * Double(options.servers))
print(
    "jobs \(options.jobs), servers \(options.servers), job time \(options.jobMilliseconds) ms, workers \(options.workers), queue ahead \(options.queueAhead), image \(options.size)x\(options.size) RGB"
)
print(
    String(
        format: "wall time %.3f s, ideal %.3f s (ideal/wall %.1f%%)",
        seconds(wall),
        ideal,
        100 * ideal / seconds(wall)
    )
)
print(String(format: "server utilisation %.1f%% (busy time / (servers x wall time))", 100 * utilisation))
print(String(format: "extra wall time per job %.1f ms", 1000 * (seconds(wall) - ideal) / Double(options.jobs)))
print(
    String(
        format: "protocol overhead per job, serial, zero job time: %.1f ms",
        1000 * seconds(serialTime) / Double(serialJobs)
    )
)
