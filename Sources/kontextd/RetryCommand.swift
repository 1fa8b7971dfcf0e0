import DaemonSupport
import Foundation
import Recipes

/// `kontextd retry`: moves failed jobs back into their inbox folders.
struct RetryCommand {
    var configPath: String?
    var all: Bool
    var jobIDs: [String]

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        let parsed = try ParsedArguments(arguments, command: "retry", valued: ["--config"], flags: ["--all"])
        configPath = parsed.options["--config"]
        all = parsed.flags.contains("--all")
        jobIDs = parsed.positionals
        guard all != !jobIDs.isEmpty else {
            throw UsageError(all ? "give either --all or job ids, not both" : "name the jobs to retry, or --all", command: "retry")
        }
    }

    func run(logger: Logger) throws -> Int32 {
        let configuration = try ConfigurationLoader.loadDaemonConfiguration(explicitPath: configPath)
        var requeued = 0
        var problems = 0
        var found = Set<String>()
        for watch in configuration.watches {
            for folder in FailedJobFolder.list(under: watch.failed) where all || jobIDs.contains(folder.id) {
                found.insert(folder.id)
                do {
                    try folder.moveBack(toInbox: watch.inbox)
                    print("requeued \(folder.id) into \(watch.inbox)/\(folder.inboxFolder)")
                    requeued += 1
                } catch {
                    printError("kontextd retry: \(folder.id): \(error)")
                    problems += 1
                }
            }
        }
        for missing in jobIDs where !found.contains(missing) {
            printError("kontextd retry: no failed job '\(missing)' in any failed folder; 'kontextd status' lists recent failures")
            problems += 1
        }
        if all && requeued == 0 && problems == 0 {
            print("kontextd retry: no failed jobs")
        }
        return problems == 0 ? 0 : 1
    }
}

/// A folder in the failed area that contains one failed job (or rejected files) and its report.
struct FailedJobFolder {
    var path: String
    var id: String
    /// The inbox folder the files came from, relative to the inbox.
    var inboxFolder: String

    static let reportSuffixes = [".error.txt", ".job.json"]

    /// Every folder under `failed` that holds an error report.
    static func list(under failed: String) -> [FailedJobFolder] {
        guard let enumerator = FileManager.default.enumerator(atPath: failed) else { return [] }
        var folders: [FailedJobFolder] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".error.txt") else { continue }
            let folder = (relative as NSString).deletingLastPathComponent
            let id = (folder as NSString).lastPathComponent
            folders.append(
                FailedJobFolder(path: failed + "/" + folder, id: id, inboxFolder: (folder as NSString).deletingLastPathComponent)
            )
        }
        return folders.sorted { $0.id < $1.id }
    }

    /// Moves the job's files (not its reports) back to the inbox, then removes this folder.
    /// Files claimed from elsewhere in the inbox (under `.inbox/`) return to their own paths.
    func moveBack(toInbox inbox: String) throws {
        let files = FileManager.default.enumerator(atPath: path)?.allObjects.compactMap { $0 as? String } ?? []
        let payload = files.filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue && !Self.reportSuffixes.contains { name.hasSuffix($0) }
        }
        let targets = payload.map { name in
            name.hasPrefix(".inbox/") ? inbox + "/" + name.dropFirst(".inbox/".count) : [inbox, inboxFolder, name].filter { !$0.isEmpty }.joined(separator: "/")
        }
        for target in targets where FileManager.default.fileExists(atPath: target) {
            throw EditCommandError("'\(target)' exists in the inbox already; move or rename it, then retry")
        }
        // The sidecar and masks go first and the image last, so the job is complete when the image
        // appears. The report is named after the image (`<image>.error.txt`), which distinguishes
        // the image from a mask in an image format.
        let reports = files.filter { $0.hasSuffix(".error.txt") }.map { ($0 as NSString).lastPathComponent }
        let images = Set(reports.map { String($0.dropLast(".error.txt".count)) })
        let pairs = Array(zip(payload, targets))
        let isImage = { (name: String) in images.contains((name as NSString).lastPathComponent) }
        let order = pairs.filter { !isImage($0.0) } + pairs.filter { isImage($0.0) }
        for (name, target) in order {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let source = path + "/" + name
            do {
                // moveItem never replaces a file that appeared at the target since the check above,
                // and copies across file systems.
                try FileManager.default.moveItem(atPath: source, toPath: target)
            } catch CocoaError.fileNoSuchFile, CocoaError.fileReadNoSuchFile {
                throw EditCommandError("'\(source)' is gone: another 'kontextd retry' or a person moved it meanwhile; check the inbox and the failed folder")
            } catch {
                throw EditCommandError("cannot move '\(source)' to '\(target)': \((error as NSError).localizedDescription)")
            }
        }
        // The reports stay behind with the folder; a second retry may have removed it already.
        try? FileManager.default.removeItem(atPath: path)
    }

}
