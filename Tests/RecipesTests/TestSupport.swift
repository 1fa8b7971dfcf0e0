import Foundation
import Testing

@testable import Recipes

/// A temporary directory; paths are physical (symbolic links resolved).
///
/// Call `remove()` in a `defer` right after creating it. A `deinit` would not do: the optimizer may
/// release the object after its last use, before the code under test reads the files.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        let template = base + "/kontextd-recipes-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = try SidecarPaths.physicalPath(of: String(cString: created))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `relative`, creating folders on the way, and returns the full path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func makeFolder(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Creates a symbolic link at `relative` whose target is `target`, as written.
    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: target)
    }
}

/// Parses a sidecar or recipe from text and returns its error lines, or an empty list when it is valid.
func errorLines(_ text: String, kind: InstructionKind = .sidecar, file: String = "photo.yaml") -> [String] {
    do {
        _ = try InstructionParser(kind: kind).parse(Array(text.utf8), fileName: file)
        return []
    } catch {
        return error.diagnostics(file: file).map(\.description)
    }
}

/// Parses a configuration from text and returns its error lines, or an empty list when it is valid.
func configurationErrorLines(_ text: String, file: String = "kontextd.yaml") -> [String] {
    do {
        _ = try DaemonConfiguration.parse(Array(text.utf8), fileName: file)
        return []
    } catch {
        return error.diagnostics(file: file).map(\.description)
    }
}

/// Returns the folder of this test file, from which fixtures and the repository's etc/ folder are found.
func testsFolder(_ filePath: String = #filePath) -> String {
    (filePath as NSString).deletingLastPathComponent
}
