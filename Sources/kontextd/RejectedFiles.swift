import EditPipeline
import Recipes
import Foundation

/// Inbox files that cannot become a job, on their way to the failed folder.
struct RejectedFiles {
    var files: [String]
    var reason: String
    var folders: WatchFolders

    /// Moves the files into `<failed>/<folder>/rejected-<time>/` with `<name>.error.txt`; returns that
    /// folder, or nil when the files were gone already (another daemon moved them).
    func moveToFailed() throws -> String? {
        guard let first = files.first else { return nil }
        let folder = (first as NSString).deletingLastPathComponent
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let target = [folders.failed, folder, "rejected-" + stamp + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)]
            .filter { !$0.isEmpty }.joined(separator: "/")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)

        var moved: [String] = []
        for file in files {
            let source = folders.inbox + "/" + file
            let destination = target + "/" + (file as NSString).lastPathComponent
            if rename(source, destination) == 0 {
                moved.append(file)
            } else if errno != ENOENT {
                throw EditCommandError("cannot move '\(source)' to '\(destination)': \(String(cString: strerror(errno)))")
            }
        }
        guard !moved.isEmpty else {
            try? FileManager.default.removeItem(atPath: target)
            return nil
        }
        let report = """
            kontextd could not take these files as a job.

            Files:   \(moved.joined(separator: ", "))

            What failed:
            \(reason)

            To retry, fix the cause and move the files back into the inbox folder.

            """
        let name = ((moved[0] as NSString).lastPathComponent) + ".error.txt"
        // Written to a temporary name and renamed, so a script that reacts to a new report (or
        // `kontextd retry`) never reads half of one.
        try Data(report.utf8).write(to: URL(fileURLWithPath: target + "/" + name), options: .atomic)
        return target
    }
}
