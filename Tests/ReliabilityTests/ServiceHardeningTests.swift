import Foundation
import Testing

/// The unit's exposure score from `systemd-analyze security --offline=true`, which reads the file
/// without a running systemd. Skipped where systemd-analyze is not installed.
struct ServiceHardeningTests {
    /// The highest exposure accepted for systemd/kontextd.service (0 is the most restricted, 10 the least).
    static let maxExposure = 2.0

    @Test func unitExposureStaysAtMostTwo() throws {
        let tool = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("skipped: \(tool) is not installed (Debian package systemd)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["security", "--offline=true", "--no-pager", DaemonHarness.repositoryRoot + "/systemd/kontextd.service"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        // The last line reads "→ Overall exposure level for kontextd.service: 1.2 OK 🙂".
        let line = try #require(text.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(text)")
        let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        let exposure = try #require(score, "no number in '\(line)'")
        ReliabilityRun.record("service", ["exposure": exposure])
        #expect(exposure <= Self.maxExposure, "\(line)")
    }
}
