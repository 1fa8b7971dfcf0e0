extension ConfigurationReader {
    static let watchKeys = ["name", "inbox", "outbox", "failed", "state"]
    static let backendBaseKeys = ["name", "type"]

    mutating func readWatches(_ node: YAMLNode) -> [DaemonConfiguration.Watch] {
        let expected = "a list of watches, each with name, inbox, outbox, failed and state"
        guard let items = schema.list(node, path: "watches", expected: expected) else { return [] }
        guard !items.isEmpty else {
            schema.collector.error("'watches' is empty; expected \(expected)", at: node)
            return []
        }
        var watches: [DaemonConfiguration.Watch] = []
        var names: [String: SourcePosition] = [:]
        for (index, item) in items.enumerated() {
            guard let watch = readWatch(item, path: "watches[\(index + 1)]") else { continue }
            if let first = names[watch.name] {
                schema.collector.error(
                    "duplicate watch name '\(watch.name)' (first used at line \(first.line)); give each watch its own name",
                    at: item
                )
                continue
            }
            names[watch.name] = item.position
            checkOverlap(watch, with: watches, node: item)
            watches.append(watch)
        }
        return watches
    }

    private mutating func readWatch(_ node: YAMLNode, path: String) -> DaemonConfiguration.Watch? {
        guard let fields = schema.fields(of: node, path: path, allowed: Self.watchKeys) else { return nil }
        let missing = Self.watchKeys.filter { fields[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.map { "'\($0)'" }.joined(separator: ", ")
            schema.collector.error(
                "'\(path)' is missing \(list); every watch needs name, inbox, outbox, failed and state",
                at: node
            )
            return nil
        }
        let name = fields["name"].flatMap {
            schema.string($0, path: "\(path).name", expected: "a name such as 'photos'")
        }
        let folders = Self.watchKeys.dropFirst().map { key in
            fields[key].flatMap { readAbsolutePath($0, path: "\(path).\(key)") }
        }
        guard let name, let inbox = folders[0], let outbox = folders[1], let failed = folders[2], let state = folders[3]
        else {
            return nil
        }

        let watch = DaemonConfiguration.Watch(name: name, inbox: inbox, outbox: outbox, failed: failed, state: state)
        if Set([outbox, failed, state]).count < 3 {
            schema.collector.error(
                "'\(path)' uses one folder for more than one of outbox, failed and state; give each its own folder",
                at: node
            )
        }
        for (key, folder) in [("outbox", outbox), ("failed", failed), ("state", state)]
        where WatchPaths.contains(inbox, folder) {
            schema.collector.error(
                "'\(path).\(key)' '\(folder)' lies inside the inbox '\(inbox)', so the daemon would read its own "
                    + "files as new jobs; move it outside the inbox",
                at: fields[key] ?? node
            )
        }
        return watch
    }

    /// Reports a watch whose inbox overlaps another watch's inbox, since both would claim the same files.
    private mutating func checkOverlap(
        _ watch: DaemonConfiguration.Watch,
        with earlier: [DaemonConfiguration.Watch],
        node: YAMLNode
    ) {
        for other in earlier
        where WatchPaths.contains(other.inbox, watch.inbox) || WatchPaths.contains(watch.inbox, other.inbox) {
            schema.collector.error(
                "inbox '\(watch.inbox)' of watch '\(watch.name)' overlaps inbox '\(other.inbox)' of watch "
                    + "'\(other.name)'; inboxes must not contain each other",
                at: node
            )
        }
    }

    mutating func readBackends(_ node: YAMLNode) -> [DaemonConfiguration.Backend] {
        guard let items = schema.list(node, path: "backends", expected: "a list of backends, each with name and type")
        else {
            return []
        }
        var backends: [DaemonConfiguration.Backend] = []
        for (index, item) in items.enumerated() {
            guard let backend = readBackend(item, path: "backends[\(index + 1)]") else { continue }
            if backends.contains(where: { $0.name == backend.name }) {
                schema.collector.error(
                    "duplicate backend name '\(backend.name)'; give each backend its own name",
                    at: item
                )
                continue
            }
            backends.append(backend)
        }
        return backends
    }

    /// Reads `name` and `type`, and keeps every other key raw for the backend's own parser.
    private mutating func readBackend(_ node: YAMLNode, path: String) -> DaemonConfiguration.Backend? {
        guard let pairs = node.pairs else {
            schema.reject(node, path: path, expected: "a mapping with name and type")
            return nil
        }
        let fields = Fields(pairs: pairs.filter { Self.backendBaseKeys.contains($0.name) })
        guard let nameNode = fields["name"], let typeNode = fields["type"] else {
            let missing = Self.backendBaseKeys.filter { fields[$0] == nil }.map { "'\($0)'" }.joined(separator: " and ")
            schema.collector.error("'\(path)' is missing \(missing); every backend needs a name and a type", at: node)
            return nil
        }
        let name = schema.string(nameNode, path: "\(path).name", expected: "a name such as 'comfy'")
        let kind = schema.choice(typeNode, path: "\(path).type", as: DaemonConfiguration.Backend.Kind.self)
        guard let name, let kind else { return nil }

        let options = YAMLNode(
            .mapping(pairs.filter { !Self.backendBaseKeys.contains($0.name) }),
            position: node.position
        )
        var backend = DaemonConfiguration.Backend(name: name, kind: kind, options: options, file: schema.collector.file)
        switch kind {
        case .comfyui:
            backend.comfyUI = readComfyUIOptions(options, path: path)
        case .fill:
            _ = schema.fields(of: options, path: path, allowed: Self.backendBaseKeys)
        case .hosted:
            backend.hosted = readHostedOptions(options, path: path)
        case .local:
            backend.local = readLocalOptions(options, path: path)
        }
        return backend
    }

    mutating func checkBackendExists(_ name: String, node: YAMLNode, in backends: [DaemonConfiguration.Backend]) {
        guard !backends.contains(where: { $0.name == name }) else { return }
        let names = backends.map(\.name)
        let hint =
            KeySuggestion.closest(to: name, among: names).map { "; did you mean '\($0)'?" }
            ?? "; configured backends are \(names.joined(separator: ", "))"
        schema.collector.error("'default_backend' is '\(name)', which is not a configured backend" + hint, at: node)
    }
}

/// Lexical containment of absolute, normalized paths.
enum WatchPaths {
    /// Returns whether `path` is `folder` itself or lies below it.
    static func contains(_ folder: String, _ path: String) -> Bool {
        SidecarPaths.isInside(path, folder)
    }
}
