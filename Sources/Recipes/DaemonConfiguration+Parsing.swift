internal import DaemonSupport

/// Walks the configuration's node tree and builds a `DaemonConfiguration`, reporting problems as it goes.
struct ConfigurationReader {
    static let keys = [
        "watches", "workers", "settle", "sidecar_wait", "sidecar_grace", "orphan_timeout", "scan_interval", "max_wait",
        "stop_timeout", "ignore",
        "originals", "max_megapixels", "log_level", "status_file", "retry", "backends", "default_backend",
    ]
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    var schema: SchemaReader

    init(file: String) {
        schema = SchemaReader(file: file)
    }

    /// Returns the configuration, or nil when the top level is not usable at all.
    mutating func read(_ root: YAMLNode) -> DaemonConfiguration? {
        guard let fields = schema.fields(of: root, path: nil, allowed: Self.keys) else { return nil }
        guard let watchesNode = fields["watches"] else {
            schema.collector.error(
                "missing 'watches'; list at least one watch with name, inbox, outbox, failed and state",
                at: root
            )
            return nil
        }
        let watches = readWatches(watchesNode)
        let backends = fields["backends"].map { readBackends($0) } ?? []
        var configuration = DaemonConfiguration(watches: watches, backends: backends)
        readTimes(fields, into: &configuration)
        readLimits(fields, into: &configuration)

        if let node = fields["ignore"] {
            configuration.ignore = readIgnore(node)
        }
        if let node = fields["originals"], let originals = readOriginals(node) {
            configuration.originals = originals
            checkOriginals(originals, node: node, watches: watches)
        }
        if let node = fields["status_file"], let path = readAbsolutePath(node, path: "status_file") {
            configuration.statusFile = path
        }
        if let node = fields["retry"], let retry = readRetry(node) {
            configuration.retry = retry
        }
        if let node = fields["default_backend"], let name = schema.string(node, path: "default_backend") {
            configuration.defaultBackend = name
            checkBackendExists(name, node: node, in: configuration.backends)
        }
        return configuration
    }

    private mutating func readTimes(_ fields: Fields, into configuration: inout DaemonConfiguration) {
        if let node = fields["settle"], let value = seconds(node, "settle", 0...3600, default: 2) {
            configuration.settle = value
        }
        if let node = fields["sidecar_wait"], let value = seconds(node, "sidecar_wait", 0...86_400, default: 30) {
            configuration.sidecarWait = value
        }
        if let node = fields["sidecar_grace"], let value = seconds(node, "sidecar_grace", 0...3600, default: 3) {
            configuration.sidecarGrace = value
        }
        if let node = fields["stop_timeout"], let value = seconds(node, "stop_timeout", 1...3600, default: 60) {
            configuration.stopTimeout = value
        }
        if let node = fields["orphan_timeout"], let value = seconds(node, "orphan_timeout", 1...604_800, default: 300) {
            configuration.orphanTimeout = value
        }
        if let node = fields["scan_interval"], let value = seconds(node, "scan_interval", 1...86_400, default: 60) {
            configuration.scanInterval = value
        }
        if let node = fields["max_wait"], let value = seconds(node, "max_wait", 1...604_800, default: 3600) {
            configuration.maxWait = value
            if value <= configuration.settle {
                schema.collector.error(
                    "'max_wait' (\(SchemaReader.format(value)) s) must be longer than 'settle' "
                        + "(\(SchemaReader.format(configuration.settle)) s), or no file could ever settle",
                    at: node
                )
            }
        }
    }

    private mutating func seconds(_ node: YAMLNode, _ key: String, _ range: ClosedRange<Double>, default value: Double)
        -> Double?
    {
        schema.number(node, path: key, range: range, example: "\(key): \(SchemaReader.format(value))")
    }

    private mutating func readLimits(_ fields: Fields, into configuration: inout DaemonConfiguration) {
        if let node = fields["workers"],
            let workers = schema.integer(node, path: "workers", range: 1...64, example: "workers: 2")
        {
            configuration.workers = workers
        }
        if let node = fields["max_megapixels"],
            let value = schema.number(node, path: "max_megapixels", range: 1...1000, example: "max_megapixels: 100")
        {
            configuration.maxMegapixels = value
        }
        if let node = fields["log_level"] {
            let level = node.scalarText.flatMap { Logger.Level(name: $0) }
            if let level, node.scalarText == node.scalarText?.lowercased() {
                configuration.logLevel = level
            } else {
                schema.reject(node, path: "log_level", expected: "one of \(Self.logLevels.joined(separator: ", "))")
            }
        }
    }

    private mutating func readIgnore(_ node: YAMLNode) -> [String] {
        let expected = "a list of glob patterns such as '*.tmp'"
        guard let items = schema.list(node, path: "ignore", expected: expected) else { return [] }
        return items.enumerated().compactMap { index, item in
            schema.string(item, path: "ignore[\(index + 1)]", expected: "a glob pattern such as '*.tmp'")
        }
    }

    private mutating func readOriginals(_ node: YAMLNode) -> DaemonConfiguration.Originals? {
        if let pairs = node.pairs {
            guard let fields = schema.fields(of: node, path: "originals", allowed: ["move_to"]) else { return nil }
            guard let target = fields["move_to"] else {
                // An unknown key was reported already; an empty mapping gets its own message.
                if pairs.isEmpty {
                    schema.collector.error("'originals' needs 'move_to', an absolute folder", at: node)
                }
                return nil
            }
            return readAbsolutePath(target, path: "originals.move_to").map { .moveTo($0) }
        }
        switch node.scalarText {
        case "keep": return .keep
        case "delete": return .delete
        default:
            schema.reject(
                node,
                path: "originals",
                expected: "keep, delete, or a mapping such as '{move_to: /srv/kontextd/originals}'"
            )
            return nil
        }
    }

    private mutating func checkOriginals(
        _ originals: DaemonConfiguration.Originals,
        node: YAMLNode,
        watches: [DaemonConfiguration.Watch]
    ) {
        guard case .moveTo(let folder) = originals else { return }
        for watch in watches where WatchPaths.contains(watch.inbox, folder) {
            schema.collector.error(
                "'originals.move_to' '\(folder)' lies inside the inbox of watch '\(watch.name)', where originals would "
                    + "become jobs again; choose a folder outside every inbox",
                at: node.pairs?.first?.value ?? node
            )
        }
    }

    private mutating func readRetry(_ node: YAMLNode) -> DaemonConfiguration.Retry? {
        guard let fields = schema.fields(of: node, path: "retry", allowed: ["attempts", "initial_delay", "max_delay"])
        else {
            return nil
        }
        var retry = DaemonConfiguration.Retry()
        if let value = fields["attempts"],
            let attempts = schema.integer(value, path: "retry.attempts", range: 0...100, example: "attempts: 5")
        {
            retry.attempts = attempts
        }
        if let value = fields["initial_delay"],
            let delay = schema.number(
                value,
                path: "retry.initial_delay",
                range: 0.1...86_400,
                example: "initial_delay: 10"
            )
        {
            retry.initialDelay = delay
        }
        if let value = fields["max_delay"],
            let delay = schema.number(value, path: "retry.max_delay", range: 0.1...86_400, example: "max_delay: 900")
        {
            retry.maxDelay = delay
        }
        if retry.maxDelay < retry.initialDelay {
            schema.collector.error(
                "'retry.max_delay' (\(SchemaReader.format(retry.maxDelay)) s) is shorter than 'retry.initial_delay' "
                    + "(\(SchemaReader.format(retry.initialDelay)) s); raise max_delay",
                at: fields["max_delay"] ?? node
            )
        }
        return retry
    }

    /// Reads an absolute path and normalizes it lexically (no trailing `/`, no `.` or `..`).
    mutating func readAbsolutePath(_ node: YAMLNode, path: String) -> String? {
        guard let text = schema.string(node, path: path, expected: "an absolute path such as '/srv/kontextd/inbox'")
        else {
            return nil
        }
        guard text.hasPrefix("/"), let components = SidecarPaths.normalize(SidecarPaths.components(text)) else {
            schema.collector.error(
                "'\(path)' is '\(text)', which is not an absolute path; write it starting with '/'",
                at: node
            )
            return nil
        }
        return SidecarPaths.join(components)
    }
}
