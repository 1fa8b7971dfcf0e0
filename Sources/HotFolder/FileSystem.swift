import Foundation

/// The kind of a directory entry as `lstat` reports it, without following symbolic links.
public enum FileKind: Sendable, Equatable {
    case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .unknown
        }
    }
}

extension FileKind: CustomStringConvertible {
    /// The kind in the words of `ls -l` and file(1), for error reports.
    public var description: String {
        switch self {
        case .regular: "regular file"
        case .directory: "directory"
        case .symbolicLink: "symbolic link"
        case .fifo: "FIFO (named pipe)"
        case .socket: "socket"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .unknown: "file of unknown type"
        }
    }
}

/// The identity of one version of a file: size, modification time and inode.
public struct FileIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    public var size: Int64
    /// Modification time in nanoseconds since the Unix epoch.
    public var modificationTime: Int64
    public var inode: UInt64

    public init(size: Int64, modificationTime: Int64, inode: UInt64) {
        self.size = size
        self.modificationTime = modificationTime
        self.inode = inode
    }

    public var description: String { "size=\(size) mtime=\(modificationTime) inode=\(inode)" }
}

/// The result of `lstat` on one path.
struct FileStatus: Sendable, Equatable {
    var kind: FileKind
    var identity: FileIdentity
    /// Status-change time in nanoseconds; a settled file keeps size, mtime and ctime unchanged.
    var changeTime: Int64
    var device: UInt64

    /// Calls `lstat`, so a symbolic link is described rather than followed; returns nil when the path is gone.
    static func lstat(_ path: String) throws(HotFolderError) -> FileStatus? {
        var info = stat()
        guard Glibc.lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .systemCall(call: "lstat", path: path, errno: code)
        }
        let identity = FileIdentity(
            size: Int64(info.st_size),
            modificationTime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            inode: UInt64(info.st_ino)
        )
        let changeTime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        return FileStatus(
            kind: FileKind(mode: info.st_mode),
            identity: identity,
            changeTime: changeTime,
            device: UInt64(info.st_dev)
        )
    }
}

/// Lists the names in a directory, without "." and ".."; returns nil when the directory is gone.
func listDirectory(_ path: String) throws(HotFolderError) -> [String]? {
    guard let directory = opendir(path) else {
        let code = errno
        if code == ENOENT || code == ENOTDIR { return nil }
        throw .systemCall(call: "opendir", path: path, errno: code)
    }
    defer { closedir(directory) }

    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Joins path components with "/", skipping empty ones, so the inbox root folder can be "".
func joinPath(_ parts: String...) -> String {
    var result = ""
    for part in parts where !part.isEmpty {
        if !result.isEmpty && !result.hasSuffix("/") { result += "/" }
        result += part
    }
    return result
}

/// Splits an inbox-relative path into its folder and file name.
func splitPath(_ relativePath: String) -> (folder: String, name: String) {
    guard let slash = relativePath.lastIndex(of: "/") else { return ("", relativePath) }
    return (String(relativePath[..<slash]), String(relativePath[relativePath.index(after: slash)...]))
}

/// Resolves `reference` relative to `folder` (both inbox-relative); returns nil when it is absolute or leaves the inbox.
func resolveRelative(_ reference: String, in folder: String) -> String? {
    guard !reference.hasPrefix("/") else { return nil }
    var parts = folder.split(separator: "/").map(String.init)
    for component in reference.split(separator: "/") {
        switch component {
        case ".": continue
        case "..":
            guard !parts.isEmpty else { return nil }
            parts.removeLast()
        default: parts.append(String(component))
        }
    }
    return parts.isEmpty ? nil : parts.joined(separator: "/")
}
