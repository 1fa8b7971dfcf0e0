extension DaemonConfiguration {
    /// Finds folders that overlap once symbolic links are resolved: an outbox, failed or state folder
    /// inside an inbox (the daemon would take its own files for jobs), or two watches on one inbox.
    ///
    /// The configuration parser compares the paths as written. This check follows links, so it runs on
    /// the folders as they are on disk, at start-up and in `kontextd check`. Folders that do not exist
    /// yet are compared as written.
    public func physicalOverlaps() -> [String] {
        var problems: [String] = []
        let resolved = watches.map { watch in
            (watch, [watch.inbox, watch.outbox, watch.failed, watch.state].map(Self.resolvedPath))
        }
        for (watch, paths) in resolved {
            let inbox = paths[0]
            for (name, path) in zip(["outbox", "failed", "state"], paths.dropFirst()) where SidecarPaths.isInside(path, inbox) {
                problems.append(
                    "watch '\(watch.name)': the \(name) folder '\(path)' is inside the inbox '\(inbox)' once links are "
                        + "resolved, so the daemon would process its own files; move it out of the inbox"
                )
            }
        }
        if case .moveTo(let folder) = originals {
            let target = Self.resolvedPath(folder)
            for (watch, paths) in resolved where SidecarPaths.isInside(target, paths[0]) {
                problems.append(
                    "originals.move_to '\(target)' is inside the inbox '\(paths[0])' of watch '\(watch.name)' once "
                        + "links are resolved, so kept originals would be processed again; move it out of the inbox"
                )
            }
        }
        for firstIndex in resolved.indices {
            for secondIndex in resolved.indices where secondIndex > firstIndex {
                let (first, firstPaths) = resolved[firstIndex]
                let (second, secondPaths) = resolved[secondIndex]
                if SidecarPaths.isInside(firstPaths[0], secondPaths[0]) || SidecarPaths.isInside(secondPaths[0], firstPaths[0]) {
                    problems.append(
                        "watches '\(first.name)' and '\(second.name)' share inbox folders once links are resolved "
                            + "('\(firstPaths[0])' and '\(secondPaths[0])'); give each watch its own inbox"
                    )
                }
            }
        }
        return problems
    }

    private static func resolvedPath(_ path: String) -> String {
        (try? SidecarPaths.physicalPath(of: path)) ?? path
    }
}
