import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh folder under /tmp, removed with everything in it by `remove()`.
struct TemporaryFolder {
    let path: String

    init(_ label: String = "kontextd-test") throws {
        // A fixed /tmp instead of NSTemporaryDirectory(): reading TMPDIR could race with the notifier tests, which
        // change the process environment.
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: label])
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String {
        path + "/" + name
    }

    /// Returns the sorted names in the folder, hidden names included.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A tmpfs of a fixed size mounted on a temporary folder; needs root.
struct TemporaryTmpfs {
    let folder: TemporaryFolder

    var path: String { folder.path }

    /// Mounts a tmpfs of `size` (a mount option value such as `64k`), or returns nil and prints why not.
    static func mount(size: String) -> TemporaryTmpfs? {
        guard geteuid() == 0 else {
            print("Skipping: mounting a tmpfs needs root, and this test runs as uid \(geteuid())")
            return nil
        }
        guard let folder = try? TemporaryFolder("kontextd-tmpfs") else { return nil }
        guard Glibc.mount("tmpfs", folder.path, "tmpfs", 0, "size=\(size)") == 0 else {
            let reason = String(cString: strerror(errno))
            print("Skipping: mount -t tmpfs -o size=\(size) on '\(folder.path)' failed: \(reason)")
            folder.remove()
            return nil
        }
        return TemporaryTmpfs(folder: folder)
    }

    func unmount() {
        umount2(folder.path, Int32(MNT_DETACH))
        folder.remove()
    }
}

func readBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}
