#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension DurableFile {
    /// The system calls `renameNoReplace` uses to avoid replacing an existing file.
    enum NoReplaceStrategy: Sendable {
        /// `renameat2(..., RENAME_NOREPLACE)`, falling back to `linkThenUnlink` where the file system rejects it.
        case renameat2
        /// `link(source, destination)`, which fails with `EEXIST` when the destination exists, then `unlink(source)`.
        case linkThenUnlink
    }

    /// The `renameat2` signature from `<stdio.h>` (glibc 2.28 and later).
    private typealias Renameat2Function =
        @convention(c) (
            CInt, UnsafePointer<CChar>, CInt, UnsafePointer<CChar>, CUnsignedInt
        ) -> CInt

    /// `RENAME_NOREPLACE` from `<linux/fs.h>`.
    private static let renameNoReplaceFlag: CUnsignedInt = 1

    /// glibc's `renameat2`, looked up at run time.
    ///
    /// NOTE: Swift's Glibc module does not import `renameat2` (glibc declares it only under `_GNU_SOURCE`), and
    /// the variadic `syscall` does not import either, so the symbol comes from `dlsym`. glibc's `renameat2`
    /// is a direct wrapper of the system call. When the symbol is missing, `linkThenUnlink` is used.
    private static let renameat2Function: Renameat2Function? = {
        // dlsym with a null handle is RTLD_DEFAULT, the global symbol scope.
        guard let symbol = dlsym(nil, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2Function.self)
    }()

    /// Renames `source` to `destination` unless `destination` exists.
    ///
    /// - Throws: `SystemError` with `.fileExists` when `destination` exists (nothing changes then),
    ///   `.crossDevice` when the two paths are on different file systems, or another errno.
    static func renameNoReplace(
        from source: String,
        to destination: String,
        strategy: NoReplaceStrategy = .renameat2
    ) throws(SystemError) {
        if strategy == .renameat2, let renameat2 = renameat2Function {
            do {
                try systemCall("renameat2", path: source, destination: destination) {
                    renameat2(AT_FDCWD, source, AT_FDCWD, destination, renameNoReplaceFlag)
                }
                return
            } catch {
                // EINVAL or ENOSYS: the file system or kernel does not support RENAME_NOREPLACE.
                guard error.errno == .invalidArgument || error.errno == .notImplemented else { throw error }
            }
        }
        try linkThenUnlink(from: source, to: destination)
    }

    /// Gives `source` the name `destination` with `link`, which never replaces, then removes the old name.
    ///
    /// NOTE: File systems without hard links (FAT, some FUSE and SMB mounts) fail here with `EPERM` or
    /// `EOPNOTSUPP`. This code has no atomic no-replace rename for them.
    private static func linkThenUnlink(from source: String, to destination: String) throws(SystemError) {
        try systemCall("link", path: source, destination: destination) { link(source, destination) }
        try systemCall("unlink", path: source) { unlink(source) }
    }
}
