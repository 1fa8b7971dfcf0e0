import DaemonSupport

/// The level-triggered core of the monitor: it observes folders, tracks when each file settles, and decides
/// which files form a job or must be rejected.
///
/// The tracker never acts on an event alone. Each call to `observe(folder:now:)` lists the folder and runs
/// `lstat` on every entry; `decide(folder:now:)` then works only from that snapshot and the time.
struct IntakeTracker {
    struct TrackedFile {
        var status: FileStatus
        var firstSeen: ContinuousClock.Instant
        var stableSince: ContinuousClock.Instant
        /// Sniffed format and the identity it was sniffed for; nil until the file settles.
        var sniffed: (identity: FileIdentity, format: ImageFormat?)?
    }

    struct SidecarReferences {
        var identity: FileIdentity
        /// Inbox-relative paths, or nil when the reference closure threw (the sidecar is invalid).
        var paths: [String]?
    }

    struct AnnouncementKey: Hashable {
        var event: IntakeEvent
        var identities: [FileIdentity]
    }

    struct FolderState {
        var files: [String: TrackedFile] = [:]
        var announced: [AnnouncementKey: ContinuousClock.Instant] = [:]
        /// When `observe(folder:now:)` last listed the folder.
        var observedAt: ContinuousClock.Instant?
    }

    let inbox: String
    let ignoreRules: IgnoreRules
    let policy: @Sendable (String) -> FolderPolicy
    let references: @Sendable (String) throws -> [String]
    let maxWait: Duration
    let reofferBackoff: Duration
    let logger: Logger

    var folders: [String: FolderState] = [:]
    var sidecarReferences: [String: SidecarReferences] = [:]
    /// Files that a sidecar named, with the identity they had then; see `isLeftoverReference`.
    var formerReferences: [String: FileIdentity] = [:]

    init(
        inbox: String,
        ignoreRules: IgnoreRules,
        maxWait: Duration,
        reofferBackoff: Duration,
        logger: Logger,
        policy: @escaping @Sendable (String) -> FolderPolicy,
        references: @escaping @Sendable (String) throws -> [String]
    ) {
        self.inbox = inbox
        self.ignoreRules = ignoreRules
        self.maxWait = maxWait
        self.reofferBackoff = reofferBackoff
        self.logger = logger
        self.policy = policy
        self.references = references
    }

    /// Folders (inbox-relative) that currently hold tracked files and so need a look on every tick.
    var foldersWithFiles: [String] {
        folders.filter { !$0.value.files.isEmpty }.map(\.key)
    }

    /// Lists `folder`, updates every file's settle state and returns the subfolders that are not ignored.
    mutating func observe(folder: String, now: ContinuousClock.Instant) throws(HotFolderError) -> [String] {
        guard let names = try listDirectory(joinPath(inbox, folder)) else {
            forget(folder: folder)
            return []
        }
        var state = folders[folder] ?? FolderState()
        var present = Set<String>()
        var subfolders: [String] = []

        for name in names {
            let relative = joinPath(folder, name)
            guard let status = try FileStatus.lstat(joinPath(inbox, relative)) else { continue }
            if status.kind == .directory {
                if !ignoreRules.ignores(relative, isFolder: true) { subfolders.append(relative) }
                continue
            }
            guard !ignoreRules.ignores(relative, isFolder: false) else { continue }
            present.insert(name)
            state.files[name] = updated(state.files[name], with: status, now: now)
        }

        for name in state.files.keys where !present.contains(name) {
            state.files[name] = nil
            sidecarReferences[joinPath(folder, name)] = nil
            formerReferences[joinPath(folder, name)] = nil
        }
        state.observedAt = now
        folders[folder] = state
        inspectSettledFiles(in: folder, now: now)
        return subfolders
    }

    func updated(_ file: TrackedFile?, with status: FileStatus, now: ContinuousClock.Instant) -> TrackedFile {
        guard var file, file.status.kind == status.kind else {
            return TrackedFile(status: status, firstSeen: now, stableSince: now)
        }
        if file.status != status {
            // A file that had settled and changes again starts a new write, so its never-stable clock restarts.
            if file.sniffed != nil { file.firstSeen = now }
            file.status = status
            file.stableSince = now
        }
        return file
    }

    /// Drops the state of `folder` and every folder below it, after it disappeared.
    mutating func forget(folder: String) {
        let prefix = folder.isEmpty ? "" : folder + "/"
        folders = folders.filter { $0.key != folder && !($0.key.hasPrefix(prefix) && !prefix.isEmpty) }
        if folder.isEmpty { folders = [:] }
        sidecarReferences = sidecarReferences.filter { !$0.key.hasPrefix(prefix) }
        formerReferences = formerReferences.filter { !$0.key.hasPrefix(prefix) }
    }

    func isSettled(_ file: TrackedFile, policy: FolderPolicy, now: ContinuousClock.Instant) -> Bool {
        now >= file.stableSince.advanced(by: policy.settle)
    }

    func settledAt(_ file: TrackedFile, policy: FolderPolicy) -> ContinuousClock.Instant {
        file.stableSince.advanced(by: policy.settle)
    }

    /// Sniffs settled regular files once per identity and loads the references of settled sidecars.
    mutating func inspectSettledFiles(in folder: String, now: ContinuousClock.Instant) {
        guard var state = folders[folder] else { return }
        let policy = policy(folder)
        for (name, file) in state.files where file.status.kind == .regular && isSettled(file, policy: policy, now: now)
        {
            let relative = joinPath(folder, name)
            if sidecarBase(name) != nil {
                loadReferences(sidecar: relative, identity: file.status.identity)
            } else if file.sniffed?.identity != file.status.identity {
                state.files[name]?.sniffed = (file.status.identity, sniff(relative))
            }
        }
        folders[folder] = state
    }

    func sniff(_ relative: String) -> ImageFormat? {
        do {
            return try ImageFormat.sniff(fileAt: joinPath(inbox, relative))
        } catch {
            logger.warning("File could not be read", ["file.path": relative, "error": "\(error)"])
            return nil
        }
    }

    mutating func loadReferences(sidecar relative: String, identity: FileIdentity) {
        guard sidecarReferences[relative]?.identity != identity else { return }
        let folder = splitPath(relative).folder
        do {
            let named = try references(joinPath(inbox, relative))
            let paths = named.compactMap { resolveRelative($0, in: folder) }
            sidecarReferences[relative] = SidecarReferences(identity: identity, paths: paths)
        } catch {
            logger.info("Sidecar is invalid", ["file.path": relative, "error": "\(error)"])
            sidecarReferences[relative] = SidecarReferences(identity: identity, paths: nil)
        }
    }
}

/// Returns the name of a sidecar without `.yaml`/`.yml`, lowercased, or nil for other names.
func sidecarBase(_ name: String) -> String? {
    let lower = name.lowercased()
    if lower.hasSuffix(".yaml") { return String(lower.dropLast(5)) }
    if lower.hasSuffix(".yml") { return String(lower.dropLast(4)) }
    return nil
}

/// Returns the sidecar base names that pair with `image`, lowercased. `photo.jpg` pairs with `photo.yaml`,
/// `photo.yml` and `photo.jpg.yaml`, so its keys are "photo.jpg" and "photo".
func pairingKeys(_ image: String) -> [String] {
    let lower = image.lowercased()
    guard let dot = lower.lastIndex(of: "."), dot != lower.startIndex else { return [lower] }
    return [lower, String(lower[..<dot])]
}
