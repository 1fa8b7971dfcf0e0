/// The instruction for one job: its folder's recipes and its sidecar, merged and resolved.
public struct JobInstruction: Sendable, Equatable {
    public var resolved: ResolvedInstruction
    /// The recipe files used, from the inbox root down, then the sidecar if there is one.
    public var files: [String]
    public var warnings: [Diagnostic]

    /// Reads the recipes from `inboxRoot` down to `folder`, lays the sidecar over them and resolves the result.
    ///
    /// `sidecar` is the sidecar's path, or nil for an image without one. `parser` reads the sidecar, so set its
    /// `knownBackends` and `location` to check backend names and paths with positions. Throws `.invalid`
    /// with the diagnostics of every broken recipe and of the sidecar together, or `.unresolvable` when the
    /// merged keys contradict each other.
    public static func load(
        folder: String,
        inboxRoot: String,
        sidecar: String?,
        parser: InstructionParser = InstructionParser()
    ) throws(RecipesError) -> JobInstruction {
        var errors: [Diagnostic] = []
        var cascade = RecipeCascade()
        do {
            cascade = try RecipeCascade.load(inboxRoot: inboxRoot, folder: folder)
        } catch {
            errors += error.diagnostics(file: folder)
        }

        var sidecarInstruction = Instruction()
        var files = cascade.files
        var warnings = cascade.warnings
        if let sidecar {
            do {
                let parsed = try parser.parse(contentsOf: sidecar)
                sidecarInstruction = parsed.instruction
                warnings += parsed.warnings
                files.append(sidecar)
            } catch {
                errors += error.diagnostics(file: sidecar)
            }
        }
        guard errors.isEmpty else { throw .invalid(errors) }

        let resolved = try ResolvedInstruction(sidecarInstruction.merged(over: cascade.instruction))
        return JobInstruction(resolved: resolved, files: files, warnings: warnings)
    }
}
