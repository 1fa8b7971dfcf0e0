import Foundation

/// Names that never become jobs or errors: temporary uploads, editor and OS junk, vendor folders and recipes.
///
/// Patterns are `fnmatch(3)` globs. A pattern without "/" matches a file or folder name at any depth.
/// A pattern with "/" matches the inbox-relative path. A trailing "/" restricts a pattern to folders.
public struct IgnoreRules: Sendable {
    /// Built-in patterns, matched case-insensitively because Windows and macOS clients vary the case.
    public static let defaultPatterns: [String] = [
        ".*",  // every dotfile: .*.swp, ._* (AppleDouble), .DS_Store, .Trash-*/, .#*, .~lock.*
        "*.part", "*.partial", "*.filepart", "*.tmp", "*.crdownload", "*.download", "*.swp",
        "~$*", "*~", "Thumbs.db", "desktop.ini",
        "@eaDir/", "#recycle/", "lost+found/",
        "kontextd.recipe.yaml", "kontextd.recipe.yml",
    ]

    struct Pattern: Sendable {
        var glob: String
        var foldersOnly: Bool
        var matchesPath: Bool
        var caseInsensitive: Bool
    }

    let patterns: [Pattern]

    /// Creates rules from the built-in patterns plus `extraPatterns` from the configuration (matched case-sensitively).
    public init(extraPatterns: [String] = []) {
        let builtIn = Self.defaultPatterns.map { Self.makePattern($0, caseInsensitive: true) }
        patterns = builtIn + extraPatterns.map { Self.makePattern($0, caseInsensitive: false) }
    }

    static func makePattern(_ text: String, caseInsensitive: Bool) -> Pattern {
        let foldersOnly = text.hasSuffix("/")
        let glob = foldersOnly ? String(text.dropLast()) : text
        return Pattern(
            glob: glob,
            foldersOnly: foldersOnly,
            matchesPath: glob.contains("/"),
            caseInsensitive: caseInsensitive
        )
    }

    /// True when `relativePath` (inbox-relative) or its last component matches a pattern.
    public func ignores(_ relativePath: String, isFolder: Bool) -> Bool {
        let name = splitPath(relativePath).name
        return patterns.contains { pattern in
            guard isFolder || !pattern.foldersOnly else { return false }
            let subject = pattern.matchesPath ? relativePath : name
            var flags: Int32 = pattern.matchesPath ? FNM_PATHNAME : 0
            if pattern.caseInsensitive { flags |= fnmatchCaseFold }
            return fnmatch(pattern.glob, subject, flags) == 0
        }
    }

    /// True when `relativePath` or any folder above it is ignored.
    func ignoresAnyComponent(of relativePath: String, isFolder: Bool) -> Bool {
        let parts = relativePath.split(separator: "/").map(String.init)
        for index in parts.indices {
            let prefix = parts[...index].joined(separator: "/")
            let last = index == parts.count - 1
            if ignores(prefix, isFolder: last ? isFolder : true) { return true }
        }
        return false
    }
}

/// glibc's `FNM_CASEFOLD` (`1 << 4` in fnmatch.h), which Swift does not import because it needs `_GNU_SOURCE`.
let fnmatchCaseFold: Int32 = 1 << 4
