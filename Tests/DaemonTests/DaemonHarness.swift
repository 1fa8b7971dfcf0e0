import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `kontextd` process on a temporary folder tree, for end-to-end tests.
///
/// Each harness gets its own inbox, outbox, failed and state folders under a fresh temporary
/// directory, a configuration file that points at them, and captures the daemon's standard error.
final class DaemonHarness: @unchecked Sendable {
    // NOTE: @unchecked because `process` is only touched from the test that owns the harness.
    let root: String
    let inbox: String
    let outbox: String
    let failed: String
    let state: String
    let configPath: String
    let stderrPath: String
    private var process: Process?

    /// The folder of the repository, found from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let photos = repositoryRoot + "/Tests/Photos"

    /// The `kontextd` binary built beside the test bundle (same configuration as the tests).
    static let binary: String = {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("kontextd").path,
            repositoryRoot + "/.build/release/kontextd",
            repositoryRoot + "/.build/debug/kontextd",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    init(extraConfiguration: String = "", settle: Double = 0.3) throws {
        root = NSTemporaryDirectory() + "kontextd-e2e-" + UUID().uuidString.prefix(8).lowercased()
        inbox = root + "/inbox"
        outbox = root + "/outbox"
        failed = root + "/failed"
        state = root + "/state"
        configPath = root + "/kontextd.yaml"
        stderrPath = root + "/daemon.log"
        for folder in [inbox, outbox, failed, state] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let configuration = """
            watches:
              - name: test
                inbox: \(inbox)
                outbox: \(outbox)
                failed: \(failed)
                state: \(state)
            workers: 2
            settle: \(settle)
            sidecar_wait: 1
            orphan_timeout: 5
            scan_interval: 2
            status_file: \(state)/status.json
            \(extraConfiguration)
            """
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs a `kontextd` command to completion and returns its exit status and output.
    static func runCommand(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `kontextd run`. With `waitForStartup` false it returns at once, so a crash test can kill the
    /// daemon during start-up recovery.
    func start(journal: Bool = false, waitForStartup: Bool = true) async throws {
        guard FileManager.default.createFile(atPath: stderrPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: stderrPath])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", "--config", configPath]
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        // The daemon writes journald's `<N>` prefixes only when JOURNAL_STREAM names its standard error.
        var status = stat()
        stat(stderrPath, &status)
        environment["JOURNAL_STREAM"] = journal ? "\(status.st_dev):\(status.st_ino)" : nil
        process.environment = environment
        try process.run()
        self.process = process
        guard waitForStartup else { return }
        // A SIGTERM that arrives before the daemon has registered its signal handlers ends it at once,
        // so the tests wait until it logs that it is running.
        _ = await Self.waitUntil(timeout: 60) { [self] in log.contains("Daemon started") || !process.isRunning }
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Sends SIGTERM and waits for the process; returns its exit status.
    ///
    /// It waits with `Task.sleep`, never by blocking a thread: the tests run on Swift's small
    /// cooperative pool, and a blocked thread there stalls every other test's async work.
    @discardableResult
    func stop(timeout: Double = 30) async -> Int32? {
        guard let process, process.isRunning else { return process?.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var log: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// Copies `photo` from Tests/Photos into the inbox (or a folder inside it) under `name`,
    /// writing to a temporary name first, as a careful uploader would.
    func drop(photo: String, as name: String, folder: String = "") throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.photos + "/" + photo))
        try drop(data: data, as: name, folder: folder)
    }

    func drop(data: Data, as name: String, folder: String = "") throws {
        let directory = folder.isEmpty ? inbox : inbox + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/" + name + ".part"
        try data.write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.moveItem(atPath: temporary, toPath: directory + "/" + name)
    }

    func drop(text: String, as name: String, folder: String = "") throws {
        try drop(data: Data(text.utf8), as: name, folder: folder)
    }

    /// Returns every regular file below `folder`, relative to it, sorted.
    static func files(under folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// Waits until `condition` holds, polling every 50 ms; returns whether it did before `timeout`.
    @discardableResult
    static func waitUntil(timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}
