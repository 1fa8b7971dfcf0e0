public import DaemonSupport
import Foundation
import Synchronization

/// Runs the generative step on a hosted API: submit a run, poll it, download the result.
///
/// The run id and poll URL are saved with `EditRequest.checkpoint` before polling starts, so a
/// restarted daemon resumes polling instead of submitting again. The checkpoint state is `submitting`
/// while a submit is on the wire; finding that state later means the outcome is unknown, and the job
/// fails permanently instead of risking a second charge (docs/hosted.md explains what the user does).
public final class HostedBackend: EditBackend {
    public let name: String
    public let profile: HostedProfile
    let key: HostedKey
    let logger: Logger
    let slots: HostedSlots

    /// Checkpoint keys and the values of `state`.
    enum Record {
        static let state = "state"
        static let runID = "run_id"
        static let pollURL = "poll_url"
        static let resultURL = "result_url"
        static let submitting = "submitting"
        static let submitted = "submitted"
        static let unknown = "unknown"
    }

    public init(name: String, profile: HostedProfile, key: HostedKey, logger: Logger) {
        self.name = name
        self.profile = profile
        self.key = key
        self.logger = logger.with(["backend": name, "provider": profile.name])
        self.slots = HostedSlots(capacity: profile.limits.maxInFlight)
    }

    public var capabilities: BackendCapabilities {
        var capabilities: BackendCapabilities = []
        if profile.fields["prompt"] != nil { capabilities.insert(.promptEdit) }
        if profile.fields["mask"] != nil { capabilities.insert(.maskedFill) }
        return capabilities
    }

    public func edit(_ request: EditRequest) async throws(BackendError) -> EditResult {
        do {
            return try await run(request)
        } catch {
            let message = key.redact(error.description)
            logger.error("Hosted run failed", ["job": request.jobID, "error": message])
            throw error.isTransient ? .transient(message) : .permanent(message)
        }
    }

    private func run(_ request: EditRequest) async throws(HostedFailure) -> EditResult {
        let record = request.checkpoint?.load() ?? [:]
        let deadline = ContinuousClock.now + .milliseconds(Int64(profile.timeouts.job * 1000))
        try await slots.acquire(timeout: profile.timeouts.submitWait)
        defer { slots.release() }

        let run: HostedRun
        switch record[Record.state] {
        case Record.submitted?:
            run = try resumedRun(record, jobID: request.jobID)
        case Record.submitting?, Record.unknown?:
            try? request.checkpoint?.save([Record.state: Record.unknown])
            throw .outcomeUnknown(
                provider: profile.baseURL.redactedDescription,
                detail: "the daemon stopped while the submit was in flight"
            )
        default:
            let body = try await prepareSubmitBody(request)
            run = try await submit(body, request: request)
        }

        let finished = try await poll(run, deadline: deadline, jobID: request.jobID)
        let image = try await downloadResult(of: run, finished: finished, jobID: request.jobID)
        logger.info("Hosted run finished", ["job": request.jobID, "run": run.id])
        return EditResult(image: image, server: "\(profile.name) at \(profile.baseURL.endpoint), run \(run.id)")
    }

    private func resumedRun(_ record: [String: String], jobID: String) throws(HostedFailure) -> HostedRun {
        guard let id = record[Record.runID], let pollText = record[Record.pollURL] else {
            throw .invalidResponse("the checkpoint records a submitted run without its id or poll URL")
        }
        do {
            let run = HostedRun(
                id: id,
                pollURL: try HostedURL(parsing: pollText),
                resultURL: try record[Record.resultURL].map { (text) throws(HostedConfigurationError) in try HostedURL(parsing: text) }
            )
            logger.notice("Hosted run resumed from its checkpoint; not submitting again", ["job": jobID, "run": id])
            return run
        } catch {
            throw .invalidResponse("the checkpoint's poll URL is invalid: \(error)")
        }
    }

    /// The auth header, and the profile's extra submit headers when `submit` is true.
    func headers(submit: Bool = false, contentType: String? = nil) -> HTTPHeaders {
        var headers = HTTPHeaders([(profile.authHeader, profile.authPrefix + key.value)])
        if submit {
            for (name, value) in profile.submitHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        }
        if let contentType { headers.add("Content-Type", contentType) }
        headers.add("Accept", "application/json")
        return headers
    }

    /// Sleeps for `seconds`; a cancelled job stops here with a transient error, leaving its checkpoint.
    func pause(_ seconds: Double) async throws(HostedFailure) {
        do {
            try await Task.sleep(for: .milliseconds(Int64(max(0, seconds) * 1000)))
        } catch {
            throw .unavailable("the job was cancelled while waiting; a submitted run stays recorded for the retry")
        }
    }
}

/// A submitted run: its id, where to poll it and, for fal, where to fetch its output.
struct HostedRun: Sendable {
    var id: String
    var pollURL: HostedURL
    var resultURL: HostedURL?
}

/// A counting limit on runs in flight for one backend, so the daemon stays under the provider's cap.
final class HostedSlots: Sendable {
    private let state: Mutex<Int>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.state = Mutex(0)
    }

    /// Takes a slot, waiting up to `timeout` seconds for one to free up.
    func acquire(timeout: Double) async throws(HostedFailure) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while true {
            let taken = state.withLock { used in
                guard used < capacity else { return false }
                used += 1
                return true
            }
            if taken { return }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                throw .unavailable("all \(capacity) run slots stayed busy for \(Int(timeout)) s; raise max_in_flight if the provider allows more")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func release() {
        state.withLock { $0 -= 1 }
    }

    var inUse: Int { state.withLock { $0 } }
}
