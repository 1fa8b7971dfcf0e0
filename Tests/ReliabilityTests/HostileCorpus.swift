import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One hostile drop: the files it puts into its own inbox folder and how the daemon must treat them.
struct HostileCase: Sendable {
    enum Expectation: Sendable, Equatable {
        /// A number of error reports in the `reports` range in the failed folder, and the phrase in one of them.
        case failed(String, reports: ClosedRange<Int> = 1...1)
        /// Nothing happens: the files stay in the inbox, and no report or output appears.
        case ignored
        /// A valid job after all: one output and one job log.
        case delivered
    }

    var slug: String
    var expectation: Expectation
    /// Creates the files in the given inbox folder, with the outside folder as a link target, and returns their count.
    var build: @Sendable (_ folder: String, _ outside: String) throws -> Int

}

/// Writers for the corpus. Each returns the number of directory entries it created.
enum HostileFiles {
    /// Writes under a hidden temporary name and renames, so the daemon never reads a half-written file.
    @discardableResult
    static func put(_ bytes: [UInt8], _ name: String, in folder: String) throws -> Int {
        let temporary = folder + "/.incoming.part"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, folder + "/" + name) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return 1
    }

    static func put(_ text: String, _ name: String, in folder: String) throws -> Int {
        try put(Array(text.utf8), name, in: folder)
    }

    /// Drops a sidecar first and a valid image after it, as a careful uploader does.
    static func job(sidecar: [UInt8], in folder: String, stem: String = "x") throws -> Int {
        try put(sidecar, stem + ".yaml", in: folder) + put(try HostileBytes.validPNG(), stem + ".png", in: folder)
    }

    static func job(sidecar: String, in folder: String) throws -> Int {
        try job(sidecar: Array(sidecar.utf8), in: folder)
    }

    static func symlink(_ name: String, to target: String, in folder: String) throws -> Int {
        guard Glibc.symlink(target, folder + "/" + name) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return 1
    }

    static func node(_ name: String, mode: mode_t, device: dev_t = 0, in folder: String) throws -> Int {
        guard mknod(folder + "/" + name, mode | 0o644, device) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return 1
    }

    /// Binds a Unix socket at the path and closes it. The socket file stays.
    static func socket(_ name: String, in folder: String) throws -> Int {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array((folder + "/" + name).utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.prefix(buffer.count - 1).enumerated() { buffer[index] = UInt8(bitPattern: byte) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return 1
    }

    /// Creates a file whose name is the given raw bytes, which need not be valid UTF-8.
    static func rawName(_ name: [UInt8], bytes: [UInt8], in folder: String) throws -> Int {
        let path = Array(folder.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }  // Non-empty array.
        }
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        return 1
    }
}
