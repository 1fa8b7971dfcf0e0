/// An error that makes an instruction, recipe, configuration or referenced path unusable.
public enum RecipesError: Error, Equatable, CustomStringConvertible {
    /// A YAML file with one or more problems, each with its position.
    case invalid([Diagnostic])
    /// A file that could not be read, with the system's reason.
    case unreadable(path: String, reason: String)
    /// A path in a sidecar or recipe that starts with `/`.
    case absolutePath(String)
    /// A path that is empty.
    case emptyPath
    /// A relative path whose `..` components climb above the inbox.
    case escapesInbox(String, inbox: String)
    /// A path that goes through a symbolic link pointing outside the inbox.
    case symlinkEscapesInbox(String, link: String, target: String)
    /// More than 40 symbolic links were followed, which is how the kernel reports a loop (ELOOP).
    case symlinkLoop(String)
    /// A folder that should lie inside the inbox but does not.
    case outsideInbox(String, inbox: String)
    /// A folder with both `kontextd.recipe.yaml` and `kontextd.recipe.yml`.
    case ambiguousRecipe(folder: String)
    /// An instruction that is valid key by key but not after merging with its recipes.
    case unresolvable(String)

    public var description: String {
        switch self {
        case .invalid(let diagnostics):
            diagnostics.map(\.description).joined(separator: "\n")
        case .unreadable(let path, let reason):
            "cannot read '\(path)': \(reason)"
        case .absolutePath(let value):
            "path '\(value)' is absolute; write it relative to the sidecar's folder"
        case .emptyPath:
            "path is empty; name a file relative to the sidecar's folder"
        case .escapesInbox(let value, let inbox):
            "path '\(value)' leads outside the inbox '\(inbox)'; keep referenced files inside the inbox"
        case .symlinkEscapesInbox(let value, let link, let target):
            "path '\(value)' goes through the symbolic link '\(link)' to '\(target)', outside the inbox; "
                + "copy the file into the inbox instead"
        case .symlinkLoop(let value):
            "path '\(value)' has too many levels of symbolic links; remove the link loop"
        case .outsideInbox(let folder, let inbox):
            "folder '\(folder)' is not inside the inbox '\(inbox)'"
        case .ambiguousRecipe(let folder):
            "folder '\(folder)' has both kontextd.recipe.yaml and kontextd.recipe.yml; remove one"
        case .unresolvable(let message):
            message
        }
    }

    /// Returns the diagnostics of an `.invalid` error, or one diagnostic without a position for `file` otherwise.
    public func diagnostics(file: String) -> [Diagnostic] {
        if case .invalid(let diagnostics) = self { return diagnostics }
        return [Diagnostic(file: file, position: nil, message: description)]
    }
}
