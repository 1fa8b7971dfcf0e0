import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kontextd retry` on failed folders built by hand, watched with inotify as the daemon watches.
struct RetryCommandTests {
    /// A mask in an image format must arrive before the image, like the sidecar: the daemon takes a
    /// job as soon as its image appears.
    @Test func imageArrivesAfterItsSidecarAndMask() throws {
        let daemon = try DaemonHarness()
        let failed = daemon.failed + "/20261205T000000.000Z-0000abcd"
        try FileManager.default.createDirectory(atPath: failed, withIntermediateDirectories: true)
        let files = ["kite.jpg", "kite.yaml", "kite.mask.png"]
        for name in files + ["kite.jpg.error.txt", "kite.jpg.job.json"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: failed + "/" + name))
        }
        let watcher = try MoveWatcher(folder: daemon.inbox)

        let retry = try DaemonHarness.runCommand(["retry", "--config", daemon.configPath, "--all"])
        let arrivals = watcher.names(count: files.count)

        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(Set(arrivals) == Set(files), "\(arrivals)")
        #expect(arrivals.last == "kite.jpg", "\(arrivals)")
    }
}

/// Records the names moved into one folder, in order, with inotify.
private final class MoveWatcher {
    private let descriptor: Int32

    init(folder: String) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK))
        guard descriptor >= 0, inotify_add_watch(descriptor, folder, UInt32(IN_MOVED_TO)) >= 0 else {
            throw CocoaError(.fileReadUnknown)
        }
    }

    deinit { close(descriptor) }

    /// Returns the names of the first `count` moves, waiting up to 5 s for them.
    func names(count: Int) -> [String] {
        var names: [String] = []
        let deadline = Date().addingTimeInterval(5)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while names.count < count && Date() < deadline {
            let length = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard length > 0 else {
                usleep(10_000)
                continue
            }
            var offset = 0
            while offset < length {
                let (nameLength, name) = buffer.withUnsafeBytes { bytes in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let start = offset + MemoryLayout<inotify_event>.size
                    let raw = bytes[start..<(start + Int(event.len))].prefix { $0 != 0 }
                    return (Int(event.len), String(decoding: raw, as: UTF8.self))
                }
                names.append(name)
                offset += MemoryLayout<inotify_event>.size + nameLength
            }
        }
        return names
    }
}
