internal import Glibc

/// Resolves paths named in sidecars so that they cannot leave the inbox.
public enum SidecarPaths {
    /// The kernel's limit on symbolic links followed in one lookup (Linux `MAXSYMLINKS`).
    static let maxSymlinks = 40

    /// Resolves `relative` against `sidecarDirectory` and returns the physical path, with every
    /// symbolic link resolved, of a location inside the inbox.
    ///
    /// Components that do not exist yet (a mask still being copied) are joined as written. Throws
    /// `.emptyPath`, `.absolutePath`, `.escapesInbox` when `..` climbs above the inbox,
    /// `.symlinkEscapesInbox` when a link at any component leads outside it, `.symlinkLoop`, and
    /// `.outsideInbox` when `sidecarDirectory` itself is not inside `inboxRoot`.
    /// NOTE: A link can still be swapped after this check, so open the result with `O_NOFOLLOW` where that matters.
    public static func resolve(_ relative: String, sidecarDirectory: String, inboxRoot: String) throws(RecipesError)
        -> String
    {
        guard !relative.isEmpty else { throw .emptyPath }
        guard !relative.hasPrefix("/") else { throw .absolutePath(relative) }

        let root = try physicalPath(of: inboxRoot)
        let directory = try physicalPath(of: sidecarDirectory)
        guard isInside(directory, root) else { throw .outsideInbox(sidecarDirectory, inbox: inboxRoot) }

        // `..` that climbs out without any link involved gets its own message.
        let lexical = normalize(components(directory) + components(relative))
        guard let lexical, isInside(join(lexical), root) else { throw .escapesInbox(relative, inbox: inboxRoot) }

        var walker = LinkWalker(value: relative, root: root)
        let resolved = try walker.walk(start: components(directory), remaining: components(relative))
        guard isInside(resolved, root) else {
            throw .symlinkEscapesInbox(
                relative,
                link: walker.escapingLink ?? resolved,
                target: walker.escapingTarget ?? resolved
            )
        }
        return resolved
    }

    /// Returns `path` with every symbolic link resolved, as `realpath(3)` does.
    static func physicalPath(of path: String) throws(RecipesError) -> String {
        guard let resolved = realpath(path, nil) else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    static func join(_ components: [String]) -> String {
        "/" + components.joined(separator: "/")
    }

    /// Applies `.` and `..` without touching the file system. Returns nil if `..` climbs above `/`.
    static func normalize(_ components: [String]) -> [String]? {
        var result: [String] = []
        for component in components {
            switch component {
            case ".": continue
            case "..":
                guard result.popLast() != nil else { return nil }
            default: result.append(component)
            }
        }
        return result
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }
}

/// Follows a path component by component as the kernel does, remembering the first link that leaves the inbox.
private struct LinkWalker {
    let value: String
    let root: String
    var linksFollowed = 0
    var escapingLink: String?
    var escapingTarget: String?

    init(value: String, root: String) {
        self.value = value
        self.root = root
    }

    mutating func walk(start: [String], remaining: [String]) throws(RecipesError) -> String {
        var current = start
        var pending = Array(remaining.reversed())
        while let component = pending.popLast() {
            switch component {
            case ".", "":
                continue
            case "..":
                _ = current.popLast()
                continue
            default:
                break
            }
            let candidate = SidecarPaths.join(current + [component])
            guard let target = readLink(candidate) else {
                if !exists(candidate) {
                    // The rest does not exist yet, so no link can be in it: join it as written.
                    let rest = [component] + pending.reversed()
                    return SidecarPaths.join(SidecarPaths.normalize(current + rest) ?? [])
                }
                current.append(component)
                continue
            }
            try follow(link: candidate, target: target, current: &current, pending: &pending)
        }
        return SidecarPaths.join(current)
    }

    private mutating func follow(
        link: String,
        target: String,
        current: inout [String],
        pending: inout [String]
    ) throws(RecipesError) {
        linksFollowed += 1
        guard linksFollowed <= SidecarPaths.maxSymlinks else { throw .symlinkLoop(value) }
        if target.hasPrefix("/") { current = [] }
        let targetComponents = SidecarPaths.components(target)
        let landing = SidecarPaths.normalize(current + targetComponents).map(SidecarPaths.join) ?? "/"
        if escapingLink == nil, !SidecarPaths.isInside(landing, root) {
            escapingLink = link
            escapingTarget = target
        }
        pending.append(contentsOf: targetComponents.reversed())
    }

    /// Returns the link's target, or nil when `path` is not a symbolic link or does not exist.
    private func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }
}
