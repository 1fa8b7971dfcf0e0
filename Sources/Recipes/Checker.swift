internal import Foundation
internal import Glibc

/// Validates a configuration and everything it points at, for `kontextd check`.
public enum Checker {
    /// Folder names that are never inboxes of their own: NAS metadata and similar junk.
    static let skippedFolders: Set<String> = ["@eaDir", "#recycle", "lost+found"]
    static let maxFolderDepth = 64

    /// Validates the configuration, every recipe under every inbox and every sidecar in the inboxes.
    ///
    /// Returns errors and warnings in the order found. The configuration is valid when none is an error.
    /// Hidden names (starting with `.`), the configuration's `ignore` patterns and NAS metadata
    /// folders are skipped, and symbolic links to folders are not followed.
    public static func check(configPath: String = DaemonConfiguration.defaultPath) -> [Diagnostic] {
        let configuration: DaemonConfiguration
        do {
            configuration = try DaemonConfiguration.load(from: configPath)
        } catch {
            return error.diagnostics(file: configPath)
        }

        var diagnostics: [Diagnostic] = []
        for backend in configuration.backends {
            if let local = backend.local { diagnostics += checkFiles(of: local, backend: backend.name, configPath: configPath) }
        }
        for watch in configuration.watches {
            diagnostics += checkFolders(of: watch, configPath: configPath)
            guard isDirectory(watch.inbox) else { continue }
            var walker = InboxWalker(watch: watch, configuration: configuration)
            walker.checkFolder(watch.inbox, depth: 0)
            diagnostics += walker.diagnostics
        }
        return diagnostics
    }

    /// Reports missing folders, and a state area on another file system than the inbox, where claiming by
    /// `rename(2)` would fail with EXDEV.
    static func checkFolders(of watch: DaemonConfiguration.Watch, configPath: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let folders = [
            ("inbox", watch.inbox), ("outbox", watch.outbox), ("failed", watch.failed), ("state", watch.state),
        ]
        for (key, folder) in folders where !isDirectory(folder) {
            diagnostics.append(
                Diagnostic(
                    file: configPath,
                    position: nil,
                    severity: .warning,
                    message:
                        "\(key) folder '\(folder)' of watch '\(watch.name)' does not exist yet; create it before starting the daemon"
                )
            )
        }
        if let inboxDevice = device(of: watch.inbox), let stateDevice = device(of: watch.state),
            inboxDevice != stateDevice
        {
            diagnostics.append(
                Diagnostic(
                    file: configPath,
                    position: nil,
                    message:
                        "state folder '\(watch.state)' of watch '\(watch.name)' is on another file system than its inbox "
                        + "'\(watch.inbox)', so jobs cannot be claimed by rename; put both on one file system"
                )
            )
        }
        return diagnostics
    }

    /// Warns about a local backend's files that are not there yet: the daemon starts without them,
    /// but every job that needs the backend fails until they are.
    static func checkFiles(of options: LocalBackendOptions, backend: String, configPath: String) -> [Diagnostic] {
        options.fileProblems().map { fault in
            Diagnostic(
                file: configPath,
                position: nil,
                severity: .warning,
                message: "\(fault.key) '\(fault.path)' of backend '\(backend)' \(fault.problem); jobs for this backend "
                    + "fail until it is in place (the \(LocalBackendOptions.describe(fault.key)))"
            )
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    private static func device(of path: String) -> UInt64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_dev)
    }
}

/// Walks one inbox and parses every recipe and sidecar in it.
struct InboxWalker {
    let watch: DaemonConfiguration.Watch
    let configuration: DaemonConfiguration
    var diagnostics: [Diagnostic] = []

    init(watch: DaemonConfiguration.Watch, configuration: DaemonConfiguration) {
        self.watch = watch
        self.configuration = configuration
    }

    /// Checks a folder's recipe, its sidecars and its subfolders.
    ///
    /// `inherited` is the merged recipes of the parent folders, or nil when one of them is invalid,
    /// which turns off the checks of merged instructions below it.
    mutating func checkFolder(_ folder: String, depth: Int, inherited: Instruction? = Instruction()) {
        guard depth <= Checker.maxFolderDepth else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            diagnostics.append(
                Diagnostic(file: folder, position: nil, message: "cannot list folder: \(error.localizedDescription)")
            )
            return
        }
        let cascade = checkRecipe(in: folder, inherited: inherited)

        for name in names where !isIgnored(name) {
            let path = folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                if !Checker.skippedFolders.contains(name) {
                    checkFolder(path, depth: depth + 1, inherited: cascade)
                }
            } else if isSidecarName(name), isConfined(name, in: folder, isLink: (status.st_mode & S_IFMT) == S_IFLNK) {
                checkSidecar(path, folder: folder, cascade: cascade)
            }
        }
    }

    /// Checks the folder's recipe and returns the merged recipes that apply in this folder.
    private mutating func checkRecipe(in folder: String, inherited: Instruction?) -> Instruction? {
        let recipe: String?
        do {
            recipe = try RecipeCascade.recipeFile(in: folder, inboxRoot: watch.inbox)
        } catch {
            diagnostics += error.diagnostics(file: folder)
            return nil
        }
        guard let recipe else { return inherited }

        let parser = InstructionParser(kind: .recipe, knownBackends: configuration.backends.map(\.name))
        guard let instruction = parse(recipe, with: parser), let inherited else { return nil }
        let merged = instruction.merged(over: inherited)
        checkResolution(of: merged, file: recipe)
        return merged
    }

    private mutating func checkSidecar(_ path: String, folder: String, cascade: Instruction?) {
        let parser = InstructionParser(
            kind: .sidecar,
            knownBackends: configuration.backends.map(\.name),
            location: SidecarLocation(directory: folder, inboxRoot: watch.inbox)
        )
        guard let instruction = parse(path, with: parser), let cascade else { return }
        checkResolution(of: instruction.merged(over: cascade), file: path)
    }

    /// Parses a file, recording its diagnostics, and returns its instruction when it is valid.
    private mutating func parse(_ path: String, with parser: InstructionParser) -> Instruction? {
        do {
            let parsed = try parser.parse(contentsOf: path)
            diagnostics += parsed.warnings
            return parsed.instruction
        } catch {
            diagnostics += error.diagnostics(file: path)
            return nil
        }
    }

    /// Returns whether a sidecar may be read, reporting a symbolic link that leads outside the inbox.
    private mutating func isConfined(_ name: String, in folder: String, isLink: Bool) -> Bool {
        guard isLink else { return true }
        do {
            _ = try SidecarPaths.resolve(name, sidecarDirectory: folder, inboxRoot: watch.inbox)
            return true
        } catch {
            diagnostics += error.diagnostics(file: folder + "/" + name)
            return false
        }
    }

    private func isSidecarName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        let isYAML = lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
        return isYAML && !RecipeCascade.fileNames.contains(name)
    }

    /// Returns whether a name is hidden or matches one of the configuration's `ignore` globs (`fnmatch(3)`).
    private func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".") || configuration.ignore.contains { fnmatch($0, name, 0) == 0 }
    }
}

extension InboxWalker {
    /// Reports problems that appear only once recipes and sidecar are merged.
    ///
    /// The diagnostics have no position, because the merged keys come from several files.
    mutating func checkResolution(of instruction: Instruction, file: String) {
        let resolved: ResolvedInstruction
        do {
            resolved = try ResolvedInstruction(instruction)
        } catch {
            diagnostics.append(
                Diagnostic(file: file, position: nil, message: "\(error) (after merging the folder recipes)")
            )
            return
        }

        for (index, pass) in resolved.passes.enumerated() where pass.prompt != nil {
            let name = pass.backend ?? configuration.defaultBackend
            guard configuration.backend(named: name)?.kind == .fill else { continue }
            let subject = resolved.passes.count == 1 ? "the instruction" : "chain entry \(index + 1)"
            diagnostics.append(
                Diagnostic(
                    file: file,
                    position: nil,
                    severity: .warning,
                    message: "\(subject) has a prompt, but backend '\(name)' is a content-aware fill that cannot "
                        + "follow prompts, so such jobs will fail; set 'backend' to a comfyui, hosted or local backend"
                )
            )
        }
    }
}
