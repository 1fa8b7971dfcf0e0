import Backends
import Foundation
import LocalBackend
import Recipes

/// `kontextd check`: validates configuration, recipes and sidecars, like `nginx -t`.
struct CheckCommand {
    var configPath: String
    var files: [String]

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        let parsed = try ParsedArguments(arguments, command: "check", valued: ["--config"], flags: [])
        configPath = parsed.options["--config"] ?? DaemonConfiguration.defaultPath
        files = parsed.positionals
    }

    func run() throws -> Int32 {
        var diagnostics = files.isEmpty ? Checker.check(configPath: configPath) : checkFiles()
        if files.isEmpty {
            diagnostics += Self.checkBackends(configPath: configPath)
            if let configuration = try? DaemonConfiguration.load(from: configPath) {
                diagnostics += configuration.physicalOverlaps().map { Diagnostic(file: configPath, position: nil, message: $0) }
            }
        }
        for diagnostic in diagnostics {
            print(diagnostic.description)
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors == 0 {
            print("kontextd check: all valid" + (diagnostics.isEmpty ? "" : " (\(diagnostics.count) warnings)"))
            return 0
        }
        print("kontextd check: \(errors) error\(errors == 1 ? "" : "s")")
        return 1
    }

    /// Opens each local backend's model files, and builds each configured ComfyUI and hosted
    /// backend's settings, which reads and validates its workflow and bindings, or its profile and
    /// key file.
    static func checkBackends(configPath: String) -> [Diagnostic] {
        guard let configuration = try? DaemonConfiguration.load(from: configPath) else { return [] }
        var diagnostics: [Diagnostic] = []
        for backend in configuration.backends {
            guard let local = backend.local else { continue }
            for problem in LocalBackend.modelFileProblems(local) {
                diagnostics.append(
                    Diagnostic(
                        file: configPath, position: backend.options.position,
                        message: "\(problem.key) '\(problem.path)' of backend '\(backend.name)' cannot be used: \(problem.message)"
                    )
                )
            }
        }
        for backend in configuration.backends where backend.kind == .comfyui || backend.kind == .hosted {
            do {
                if backend.kind == .hosted {
                    _ = try BackendFactory.makeHostedSettings(backend)
                } else {
                    _ = try BackendFactory.makeComfyUIConfiguration(backend)
                }
            } catch {
                let known = error is BackendFactory.ComfyUISetupError || error is BackendFactory.HostedSetupError
                let message = known ? "\(error)" : "backend '\(backend.name)': \(error)"
                diagnostics.append(Diagnostic(file: configPath, position: backend.options.position, message: message))
            }
        }
        return diagnostics
    }

    /// Validates the files given on the command line against the configuration: backend names must
    /// be configured ones, and a file inside an inbox may name only paths inside that inbox.
    private func checkFiles() -> [Diagnostic] {
        let configuration: DaemonConfiguration?
        var diagnostics: [Diagnostic] = []
        do {
            configuration = try DaemonConfiguration.load(from: configPath)
        } catch {
            configuration = nil
            diagnostics.append(
                Diagnostic(
                    file: configPath, position: nil, severity: .warning,
                    message: "cannot read the configuration (\(error)), so backend names and paths outside the inbox "
                        + "are not checked; pass --config with the daemon's configuration file"
                )
            )
        }
        return diagnostics + files.flatMap { Self.check(file: $0, configuration: configuration) }
    }

    /// Validates one recipe (by its file name) or sidecar.
    static func check(file: String, configuration: DaemonConfiguration?) -> [Diagnostic] {
        let name = (file as NSString).lastPathComponent
        let kind: InstructionKind = RecipeCascade.fileNames.contains(name) ? .recipe : .sidecar
        let directory = (Self.absolute(file) as NSString).deletingLastPathComponent
        let inbox = configuration?.watches.map(\.inbox).first { directory == $0 || directory.hasPrefix($0 + "/") }
        let parser = InstructionParser(
            kind: kind,
            knownBackends: configuration?.backends.map(\.name),
            location: inbox.map { SidecarLocation(directory: directory, inboxRoot: $0) }
        )
        do {
            return try parser.parse(contentsOf: file).warnings
        } catch {
            return error.diagnostics(file: file)
        }
    }

    /// Returns `path` as an absolute, standardised path.
    private static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}
