/// The folders of one watch: where jobs arrive, where results and failures go, and the daemon's state.
public struct WatchFolders: Sendable, Equatable {
    public var name: String
    public var inbox: String
    public var outbox: String
    public var failed: String
    /// Claimed jobs live here while they run; it must be on the inbox's file system.
    public var state: String

    public init(name: String, inbox: String, outbox: String, failed: String, state: String) {
        self.name = name
        self.inbox = inbox
        self.outbox = outbox
        self.failed = failed
        self.state = state
    }
}

/// What happens to a job's original files once its outputs are durable.
public enum OriginalsPolicy: Sendable, Equatable {
    /// Move them into `originals/<job id>/` beside the results.
    case keep
    /// Delete them.
    case delete
    /// Move them into `<folder>/<inbox folder>/<job id>/`.
    case moveTo(String)
}
