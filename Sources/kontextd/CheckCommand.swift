import Foundation
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
        let diagnostics = files.isEmpty ? Checker.check(configPath: configPath) : files.flatMap(Self.check(file:))
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

    /// Validates one recipe (by its file name) or sidecar.
    static func check(file: String) -> [Diagnostic] {
        let name = (file as NSString).lastPathComponent
        let kind: InstructionKind = RecipeCascade.fileNames.contains(name) ? .recipe : .sidecar
        do {
            return try InstructionParser(kind: kind).parse(contentsOf: file).warnings
        } catch {
            return error.diagnostics(file: file)
        }
    }
}
