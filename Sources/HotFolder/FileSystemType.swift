internal import CInotifyTools
import Foundation

/// The file-system type of a folder, from `statfs`, as far as watching it is concerned.
public struct FileSystemType: Sendable, Equatable, CustomStringConvertible {
    /// `f_type` from `statfs`.
    public var magic: UInt64

    public init(magic: UInt64) { self.magic = magic }

    /// Network and user-space file systems on which inotify misses writes made by other machines or processes.
    static let remoteTypes: [UInt64: String] = [
        0x6969: "nfs",
        0x517B: "smb",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x6573_5546: "fuse",
        0x0102_1997: "9p",
        0x00C3_6400: "ceph",
        0x5346_414F: "afs",
        0x0116_1970: "gfs2",
        0x7461_636F: "ocfs2",
        0x0BD0_0BD0: "lustre",
        0x564C: "ncp",
        0x6B41_4653: "afs",
    ]

    /// True when inotify cannot be trusted here and the folder must be polled.
    public var isRemote: Bool { Self.remoteTypes[magic] != nil }

    public var description: String {
        Self.remoteTypes[magic] ?? "local (0x\(String(magic, radix: 16)))"
    }

    /// Calls `statfs` on `path`.
    public static func of(_ path: String) throws(HotFolderError) -> FileSystemType {
        var info = statfs()
        guard statfs(path, &info) == 0 else {
            throw .systemCall(call: "statfs", path: path, errno: errno)
        }
        return FileSystemType(magic: UInt64(UInt(bitPattern: Int(info.f_type))))
    }
}
