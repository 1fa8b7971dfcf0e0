import DaemonSupport
import EditPipeline
import Foundation
import HotFolder
import Recipes
import Synchronization

/// Everything the daemon keeps for one watch: its folders, claimer, delivery and monitor.
struct WatchRuntime: Sendable {
    let folders: WatchFolders
    let claimer: Claimer
    let delivery: JobDelivery
    let monitor: HotFolderMonitor
    let recipes: RecipeCache

    init(watch: DaemonConfiguration.Watch, configuration: DaemonConfiguration, logger: Logger) throws {
        folders = watch
        for folder in [watch.outbox, watch.failed, watch.state] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        claimer = try Claimer(inbox: watch.inbox, stateDirectory: watch.state, logger: logger)
        delivery = JobDelivery(watch: folders, originals: configuration.originals)
        let recipes = RecipeCache(inbox: watch.inbox, configuration: configuration)
        self.recipes = recipes
        let inbox = watch.inbox
        monitor = HotFolderMonitor(
            inbox: watch.inbox,
            configuration: MonitorConfiguration(
                scanInterval: .seconds(configuration.scanInterval),
                pollInterval: .seconds(min(5, configuration.scanInterval)),
                maxWait: .seconds(configuration.maxWait),
                reofferBackoff: .seconds(max(30, configuration.scanInterval)),
                extraIgnorePatterns: configuration.ignore + ["*.error.txt", "*.job.json"]
            ),
            logger: logger.with(["watch.name": watch.name]),
            policy: { folder in recipes.policy(for: folder) },
            references: { sidecar in try Self.references(ofSidecar: sidecar, inbox: inbox) }
        )
    }

    /// Returns the files a sidecar names, relative to the sidecar's folder, after checking that each stays in the inbox.
    static func references(ofSidecar path: String, inbox: String) throws -> [String] {
        let parsed = try InstructionParser(kind: .sidecar).parse(contentsOf: path)
        let directory = (path as NSString).deletingLastPathComponent
        for reference in parsed.instruction.referencedPaths {
            _ = try SidecarPaths.resolve(reference, sidecarDirectory: directory, inboxRoot: inbox)
        }
        return parsed.instruction.referencedPaths
    }
}

/// A cache of the folder recipes of one inbox, checked against the recipe files on every lookup.
///
/// An entry is reused only while every recipe file from the inbox root down to the folder has the
/// same inode, size and modification time, which costs a few `lstat` calls. So a recipe written or
/// changed a moment before a job arrives is applied to that job.
final class RecipeCache: Sendable {
    private struct Entry {
        var cascade: Result<RecipeCascade, RecipesError>
        var signature: [String]
    }

    private let inbox: String
    private let defaults: FolderPolicy
    private let sidecarWait: Duration
    private let sidecarGrace: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(inbox: String, configuration: DaemonConfiguration) {
        self.inbox = inbox
        self.defaults = FolderPolicy(
            settle: .seconds(configuration.settle),
            sidecarRequired: false,
            sidecarWait: .seconds(configuration.sidecarWait),
            orphanTimeout: .seconds(configuration.orphanTimeout)
        )
        self.sidecarWait = .milliseconds(Int64(configuration.sidecarWait * 1000))
        self.sidecarGrace = .milliseconds(Int64(configuration.sidecarGrace * 1000))
    }

    /// Returns the merged recipes of `folder`, or the errors of the invalid ones.
    func cascade(for folder: String) -> Result<RecipeCascade, RecipesError> {
        let signature = recipeSignature(for: folder)
        if let entry = entries.withLock({ $0[folder] }), entry.signature == signature {
            return entry.cascade
        }
        let cascade: Result<RecipeCascade, RecipesError>
        do {
            cascade = .success(try RecipeCascade.load(inboxRoot: inbox, folder: folder.isEmpty ? inbox : inbox + "/" + folder))
        } catch {
            cascade = .failure(error)
        }
        entries.withLock { $0[folder] = Entry(cascade: cascade, signature: signature) }
        return cascade
    }

    /// Returns the path, inode, size and modification time of each recipe file from the inbox down to `folder`.
    private func recipeSignature(for folder: String) -> [String] {
        var directory = inbox
        var signature: [String] = []
        let components = folder.split(separator: "/").map(String.init)
        for depth in 0...components.count {
            if depth > 0 { directory += "/" + components[depth - 1] }
            for name in RecipeCascade.fileNames {
                // lstat sees the name itself (a link swapped for another); stat sees what it points to.
                var link = stat()
                guard lstat(directory + "/" + name, &link) == 0 else { continue }
                var target = stat()
                let targetFound = stat(directory + "/" + name, &target) == 0
                signature.append(
                    "\(directory)/\(name):\(Self.identity(link)):" + (targetFound ? Self.identity(target) : "dangling")
                )
            }
        }
        return signature
    }

    private static func identity(_ status: stat) -> String {
        "\(status.st_ino):\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }

    /// Intake rules of `folder`: the configuration's defaults under the recipes' `intake:` keys.
    func policy(for folder: String) -> FolderPolicy {
        var policy = defaults
        var sidecarWait = self.sidecarWait
        if case .success(let cascade) = cascade(for: folder), let intake = cascade.instruction.intake {
            if let required = intake.sidecarRequired { policy.sidecarRequired = required }
            if let wait = intake.sidecarWaitSeconds { sidecarWait = .milliseconds(Int64(wait * 1000)) }
            if let settle = intake.settleSeconds { policy.settle = .milliseconds(Int64(settle * 1000)) }
        }
        // The monitor's wait also applies to optional sidecars; there it is the short grace period.
        policy.sidecarWait = policy.sidecarRequired ? sidecarWait : sidecarGrace
        return policy
    }

    func invalidate() {
        entries.withLock { $0.removeAll() }
    }
}
