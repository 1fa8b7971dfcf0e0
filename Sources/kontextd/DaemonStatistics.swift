import EditPipeline
import Foundation
import Synchronization

/// Counters and the list of running jobs, shared by the workers and the status writer.
struct DaemonStatistics: Sendable {
    struct RunningJob: Sendable, Codable {
        var job: String
        var image: String
        var watch: String
        var since: Date
        /// The backend's last progress report, such as `denoising 3/20`.
        var progress: String?
    }

    struct RecentFailure: Sendable, Codable {
        var job: String
        var image: String
        var watch: String
        var folder: String
        var reason: String
        var at: Date
    }

    var succeeded = 0
    var failed = 0
    var rejected = 0
    var retrying = 0
    var running: [String: RunningJob] = [:]
    var recentFailures: [RecentFailure] = []
    /// Inbox paths of candidates that are queued, so a re-offered candidate is not queued twice.
    var pending: Set<String> = []

    static let recentFailureLimit = 20

    mutating func started(_ job: String, image: String, watch: String) {
        running[job] = RunningJob(job: job, image: image, watch: watch, since: Date())
    }

    mutating func progressed(_ job: String, _ progress: String) {
        running[job]?.progress = progress
    }

    mutating func finished(_ job: String) {
        running[job] = nil
    }

    mutating func recordFailure(_ input: JobInput, reason: String) {
        failed += 1
        recentFailures.append(
            RecentFailure(job: input.id, image: input.imageName, watch: input.watch, folder: input.folder, reason: reason, at: Date())
        )
        if recentFailures.count > Self.recentFailureLimit {
            recentFailures.removeFirst(recentFailures.count - Self.recentFailureLimit)
        }
    }
}

/// What `kontextd status` reads: the daemon's state, rewritten every second while it runs.
struct StatusReport: Codable {
    struct Watch: Codable {
        var name: String
        var inbox: String
        var queued: Int
        var overflows: Int
        var polledSubtrees: [String]
    }

    var pid: Int32
    var startedAt: Date
    var updatedAt: Date
    var state: String
    var queued: Int
    var running: [DaemonStatistics.RunningJob]
    var retrying: Int
    var succeeded: Int
    var failed: Int
    var rejected: Int
    var recentFailures: [DaemonStatistics.RecentFailure]
    var watches: [Watch]

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Carries backend progress from the pipeline to the daemon's statistics.
///
/// The pipeline is built before the daemon exists, so it reports here and the daemon attaches itself
/// once it is initialised.
final class ProgressRelay: Sendable {
    private let sink = Mutex<(@Sendable (String, String) -> Void)?>(nil)

    func attach(_ receiver: @escaping @Sendable (String, String) -> Void) {
        sink.withLock { $0 = receiver }
    }

    func report(job: String, progress: String) {
        let receiver = sink.withLock { $0 }
        receiver?(job, progress)
    }
}
