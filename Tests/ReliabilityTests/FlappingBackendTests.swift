import FakeServers
import Foundation
import Imaging
import Synchronization
import Testing

/// Prompt edits on a ComfyUI server that flaps between up, slow, failing and restarted (queue lost)
/// while the jobs run: every job must still end exactly once, whole.
@Suite(.serialized)
struct FlappingBackendTests {
    /// One state of the flapping server.
    enum Phase: String, CaseIterable {
        /// Runs each prompt in 400 ms.
        case up
        /// Takes 1.5 s per prompt.
        case slow
        /// Returns HTTP 503 for the next `POST /prompt`, which also takes the server out of the
        /// daemon's pool for 15 s or more.
        case failing
        /// Restarts: open connections close, the queue and the history are gone.
        case restarted
    }

    @Test func flappingServerLosesAndRepeatsNothing() async throws {
        let count = ReliabilityRun.size("flap_jobs", short: 4, full: 30)
        let server = try makeServer()
        defer { server.stop() }
        let daemon = try DaemonHarness(extraConfiguration: configuration(port: server.port), settle: 0.05)
        try await daemon.start()

        let ledger = JobLedger()
        for index in 0..<count {
            var job = try TinyJobs.make(.fill, index: index, folder: String(format: "f%02d", index % 4))
            job.sidecar = Data("prompt: make it night\noutput:\n  format: png\n".utf8)
            try ledger.drop(job, into: daemon)
        }

        // The server changes state every 2 to 4 s in this order, from the first job on. The failing phase
        // comes once in ten and scripts one failure only, because each 503 keeps the server out of the
        // pool for 15 to 30 s, and scripted failures wait for the next request and would pile up.
        let cycle: [Phase] = [.slow, .restarted, .failing, .up, .slow, .up, .restarted, .up, .slow, .up]
        let phases = Mutex<[Phase: Int]>([:])
        let flapping = Task {
            var generator = SystemRandomNumberGenerator()
            var step = 0
            while !Task.isCancelled {
                let phase = cycle[step % cycle.count]
                apply(phase, to: server)
                phases.withLock { $0[phase, default: 0] += 1 }
                step += 1
                try? await Task.sleep(for: .milliseconds(Int.random(in: 2000...4000, using: &generator)))
            }
        }
        let started = Date()
        let drained = await DaemonHarness.waitUntil(timeout: Double(120 + count * 15)) { ledger.finishedCount(daemon) >= count }
        flapping.cancel()
        apply(.up, to: server)
        let seconds = Date().timeIntervalSince(started)
        try? await Task.sleep(for: .seconds(2.5))
        let peak = ReliabilityRun.peakResidentKiB(of: daemon.pid) ?? 0
        #expect(await daemon.stop() == 0)
        #expect(drained, "finished \(ledger.finishedCount(daemon)) of \(count)\n\(daemon.log)")

        let verdict = ledger.verify(daemon)
        var figures = verdict.figures
        figures["seconds"] = Int(seconds)
        figures["jobs_per_second"] = Double(Int(Double(count) / seconds * 10)) / 10
        figures["peak_rss_kib"] = peak
        figures["phases"] = Dictionary(uniqueKeysWithValues: phases.withLock { $0 }.map { ($0.key.rawValue, $0.value) })
        figures["retries_scheduled"] = daemon.log.components(separatedBy: "Job retry scheduled").count - 1
        ReliabilityRun.record("flapping", figures)

        #expect(verdict.lost == 0)
        #expect(verdict.duplicated == 0)
        #expect(verdict.partial == 0)
        #expect(verdict.wrongOutcome == 0)
        #expect(verdict.isClean, "\(verdict.problems.prefix(20).joined(separator: "\n"))")
    }

    private func apply(_ phase: Phase, to server: FakeComfyUI) {
        switch phase {
        case .up:
            server.update { $0.processingTime = .milliseconds(400) }
        case .slow:
            server.update { $0.processingTime = .milliseconds(1500) }
        case .failing:
            server.failNextRequest(path: "/prompt", status: 503)
        case .restarted:
            server.restart()
        }
    }

    private func makeServer() throws -> FakeComfyUI {
        var settings = FakeComfyUI.Settings()
        settings.concurrency = 1
        settings.processingTime = .milliseconds(400)
        settings.decodeUpload = { bytes in try ImageDecoder.decode(bytes).image }
        settings.encodeOutput = { image in (try? ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 1))) ?? [] }
        let server = FakeComfyUI(settings: settings)
        try server.start()
        return server
    }

    /// Returns a ComfyUI backend on the fake, with short timeouts and enough quick retries to outlast the flapping.
    /// Each 503 takes the server out of the pool for 15 s or more, and a job that finds no server within
    /// `no_server` uses up one attempt, so the attempts must cover the time the server spends out.
    private func configuration(port: Int) -> String {
        """
        sidecar_grace: 0
        backends:
          - name: gpu
            type: comfyui
            servers:
              - 127.0.0.1:\(port)
            timeouts:
              request: 5
              job: 20
              no_server: 5
        default_backend: gpu
        retry:
          attempts: 100
          initial_delay: 1
          max_delay: 2
        """
    }
}
