public import DaemonSupport

/// The daemon's configuration, read from `/etc/kontextd/kontextd.yaml` by default.
///
/// Times are in seconds. See docs/configuration.md for every key, its range and its default.
public struct DaemonConfiguration: Sendable, Equatable {
    public static let defaultPath = "/etc/kontextd/kontextd.yaml"

    /// One inbox with its outbox, failed folder and state area, all as absolute paths.
    public struct Watch: Sendable, Equatable {
        public var name: String
        public var inbox: String
        public var outbox: String
        public var failed: String
        /// The folder jobs are claimed (renamed) into, which must be on the inbox's file system.
        public var state: String

        public init(name: String, inbox: String, outbox: String, failed: String, state: String) {
            self.name = name
            self.inbox = inbox
            self.outbox = outbox
            self.failed = failed
            self.state = state
        }
    }

    /// The handling of an original image once its job succeeded.
    public enum Originals: Sendable, Equatable {
        /// Kept beside the results in the outbox.
        case keep
        /// Deleted once the outputs are durable.
        case delete
        /// Moved to this absolute folder, mirroring the inbox's subfolders.
        case moveTo(String)
    }

    /// Backoff for transient failures: the delay doubles from `initialDelay` up to `maxDelay`.
    public struct Retry: Sendable, Equatable {
        /// Retries after the first try, so 0 fails a job on its first transient error.
        public var attempts: Int
        public var initialDelay: Double
        public var maxDelay: Double

        public init(attempts: Int = 5, initialDelay: Double = 10, maxDelay: Double = 900) {
            self.attempts = attempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
        }
    }

    /// A configured engine. The keys besides `name` and `type` stay raw for the backend's own parser.
    public struct Backend: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            case fill, comfyui, hosted, local
        }

        public var name: String
        public var kind: Kind
        /// A mapping of the remaining keys with their positions, empty for the built-in default.
        public var options: YAMLNode
        /// The configuration file, for diagnostics about `options`, or nil for the built-in default.
        public var file: String?
        /// The parsed options of a `comfyui` backend.
        public var comfyUI: ComfyUIBackendOptions?
        /// The parsed options of a `hosted` backend.
        public var hosted: HostedBackendOptions?
        /// The parsed options of a `local` backend.
        public var local: LocalBackendOptions?

        public init(name: String, kind: Kind, options: YAMLNode? = nil, file: String? = nil) {
            self.name = name
            self.kind = kind
            self.options = options ?? YAMLNode(.mapping([]), position: SourcePosition(line: 1, column: 1))
            self.file = file
        }
    }

    public var watches: [Watch]
    public var workers = 2
    /// How long size and mtime must stay unchanged before a file counts as complete.
    public var settle = 2.0
    /// How long an image waits for a required sidecar, and a sidecar for its image.
    public var sidecarWait = 30.0
    /// How long an image in a folder where sidecars are optional waits for one before it runs without.
    public var sidecarGrace = 3.0
    /// How long SIGTERM waits for running jobs before it cancels them and returns them to their inbox.
    public var stopTimeout = 60.0
    /// How long a file whose partner never arrives stays before it goes to the failed folder.
    public var orphanTimeout = 300.0
    /// Seconds between full scans of every inbox.
    public var scanInterval = 60.0
    /// Ceiling for a file that never stops changing, which then fails instead of waiting forever.
    public var maxWait = 3600.0
    /// Glob patterns ignored in addition to the built-in junk names (`*.part`, `.DS_Store`, ...).
    public var ignore: [String] = []
    public var originals = Originals.keep
    /// Larger decoded images are rejected before any pixel is allocated.
    public var maxMegapixels = 100.0
    public var logLevel = Logger.Level.info
    public var statusFile: String
    public var retry = Retry()
    /// The configured backends, plus one named `fill` of kind `fill` unless that name is taken.
    public var backends: [Backend]
    public var defaultBackend = "fill"

    public init(watches: [Watch], backends: [Backend] = [], statusFile: String? = nil) {
        self.watches = watches
        self.backends = backends
        if !backends.contains(where: { $0.name == "fill" }) {
            self.backends.append(Backend(name: "fill", kind: .fill))
        }
        self.statusFile = statusFile ?? ((watches.first?.state ?? "/var/lib/kontextd") + "/status.json")
    }

    /// Returns the backend with this name, or nil if none is configured.
    public func backend(named name: String) -> Backend? {
        backends.first { $0.name == name }
    }

    /// Reads and validates a configuration file, reporting every problem with its position.
    public static func load(from path: String = defaultPath) throws(RecipesError) -> DaemonConfiguration {
        try parse(FileBytes.read(path), fileName: path)
    }

    /// Validates configuration YAML, naming `fileName` in every diagnostic.
    public static func parse(_ bytes: [UInt8], fileName: String) throws(RecipesError) -> DaemonConfiguration {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(bytes)
        } catch {
            throw .invalid([Diagnostic(file: fileName, position: error.position, message: error.message)])
        }
        var reader = ConfigurationReader(file: fileName)
        let configuration = reader.read(root ?? YAMLNode(.mapping([]), position: SourcePosition(line: 1, column: 1)))
        guard let configuration, !reader.schema.collector.hasErrors else {
            throw .invalid(reader.schema.collector.errors.sortedByPosition())
        }
        return configuration
    }
}
