internal import Glibc

/// The folder recipes that apply to one folder, merged from the inbox root down.
public struct RecipeCascade: Sendable, Equatable {
    /// The file names of a folder recipe. A folder may have one of them, not both.
    public static let fileNames = ["kontextd.recipe.yaml", "kontextd.recipe.yml"]

    /// The recipes merged in order, deeper folders overriding their parents key by key.
    public var instruction: Instruction
    /// The recipe files used, from the inbox root down.
    public var files: [String]
    /// Warnings from all recipe files, such as a long prompt.
    public var warnings: [Diagnostic]

    public init(instruction: Instruction = Instruction(), files: [String] = [], warnings: [Diagnostic] = []) {
        self.instruction = instruction
        self.files = files
        self.warnings = warnings
    }

    /// Reads and merges the recipes of `inboxRoot` and of every folder down to `folder`.
    ///
    /// `folder` may be the inbox root itself. Throws `.outsideInbox` when `folder` is not inside the
    /// inbox, `.ambiguousRecipe` when a folder has both file names, and `.invalid` with the
    /// diagnostics of every broken recipe on the way (not only the first).
    public static func load(inboxRoot: String, folder: String) throws(RecipesError) -> RecipeCascade {
        let root = try SidecarPaths.physicalPath(of: inboxRoot)
        let target = try SidecarPaths.physicalPath(of: folder)
        guard SidecarPaths.isInside(target, root) else { throw .outsideInbox(folder, inbox: inboxRoot) }

        var cascade = RecipeCascade()
        var errors: [Diagnostic] = []
        for directory in folders(from: root, to: target) {
            guard let file = try recipeFile(in: directory, inboxRoot: root) else { continue }
            do {
                let parsed = try InstructionParser(kind: .recipe).parse(contentsOf: file)
                cascade.instruction = parsed.instruction.merged(over: cascade.instruction)
                cascade.files.append(file)
                cascade.warnings += parsed.warnings
            } catch {
                errors += error.diagnostics(file: file)
            }
        }
        guard errors.isEmpty else { throw .invalid(errors) }
        return cascade
    }

    /// Returns the folders from `root` down to `target`, both included. `target` must be inside `root`.
    static func folders(from root: String, to target: String) -> [String] {
        let relative = SidecarPaths.components(String(target.dropFirst(root.count)))
        var folders = [root]
        for component in relative {
            folders.append(folders[folders.count - 1] + (folders.count == 1 && root == "/" ? "" : "/") + component)
        }
        return folders
    }

    /// Returns the recipe file of `directory`, or nil when it has none.
    ///
    /// A recipe that is a symbolic link is used only if the link stays inside the inbox.
    static func recipeFile(in directory: String, inboxRoot: String) throws(RecipesError) -> String? {
        let present = fileNames.filter { exists(directory + "/" + $0) }
        guard present.count <= 1 else { throw .ambiguousRecipe(folder: directory) }
        guard let name = present.first else { return nil }
        _ = try SidecarPaths.resolve(name, sidecarDirectory: directory, inboxRoot: inboxRoot)
        return directory + "/" + name
    }

    /// Returns whether `path` exists, counting a dangling symbolic link, which is then reported rather than skipped.
    private static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }
}
