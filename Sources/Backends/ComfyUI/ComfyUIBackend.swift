public import DaemonSupport
import Imaging

/// A problem in the ComfyUI backend's configuration, found when the backend is created.
public enum ComfyUIConfigurationError: Error, Equatable, CustomStringConvertible {
    case noServers(backend: String)
    case invalidServerAddress(address: String, reason: String)
    case invalidConcurrency(server: String, value: Int)
    case invalidQueueAhead(server: String, value: Int)
    case invalidMaximumAttempts(value: Int)
    case workflow(ComfyUIWorkflowError)

    public var description: String {
        switch self {
        case .noServers(let backend):
            "ComfyUI backend '\(backend)' lists no servers; add at least one 'host:port'"
        case .invalidServerAddress(let address, let reason):
            "ComfyUI server address '\(address)' is invalid: \(reason)"
        case .invalidConcurrency(let server, let value):
            "ComfyUI server \(server) has concurrency \(value); use 1 or more (1 for one ComfyUI process)"
        case .invalidQueueAhead(let server, let value):
            "ComfyUI server \(server) has queue_ahead \(value); use 0 or more (1 keeps the GPU busy between jobs)"
        case .invalidMaximumAttempts(let value):
            "ComfyUI maximum attempts is \(value); use 1 or more"
        case .workflow(let error):
            error.description
        }
    }
}

/// Runs Flux Kontext edits on a pool of ComfyUI servers.
///
/// Many pipeline workers call `edit` at once. Each call takes a job slot on the least loaded healthy
/// server, uploads the image, queues the graph under a client-generated `prompt_id`, follows the
/// prompt on `/ws` (polling `/history` as the fallback), and downloads the output with `/view`.
/// When a server fails (refused, timed out, 5xx, lost queue) it leaves the pool and the job moves
/// to another server, up to `maximumAttempts` servers.
public final class ComfyUIBackend: EditBackend {
    public let name: String
    public var capabilities: BackendCapabilities { .promptEdit }

    let configuration: ComfyUIConfiguration
    let coding: ComfyUIImageCoding
    let pool: ComfyUIServerPool
    let channels: [ComfyUIEventChannel]
    let logger: Logger

    public init(configuration: ComfyUIConfiguration, coding: ComfyUIImageCoding, logger: Logger)
        throws(ComfyUIConfigurationError)
    {
        try Self.validate(configuration)
        self.name = configuration.name
        self.configuration = configuration
        self.coding = coding
        self.logger = logger.with(["backend": configuration.name])
        self.pool = ComfyUIServerPool(
            servers: configuration.servers,
            timeouts: configuration.timeouts,
            logger: self.logger
        )
        self.channels = configuration.servers.map {
            ComfyUIEventChannel(endpoint: $0.endpoint, timeouts: configuration.timeouts, logger: logger)
        }
    }

    private static func validate(_ configuration: ComfyUIConfiguration) throws(ComfyUIConfigurationError) {
        guard !configuration.servers.isEmpty else { throw .noServers(backend: configuration.name) }
        for server in configuration.servers {
            guard server.concurrency >= 1 else {
                throw .invalidConcurrency(server: server.endpoint.description, value: server.concurrency)
            }
            guard server.queueAhead >= 0 else {
                throw .invalidQueueAhead(server: server.endpoint.description, value: server.queueAhead)
            }
        }
        guard configuration.maximumAttempts >= 1 else {
            throw .invalidMaximumAttempts(value: configuration.maximumAttempts)
        }
        if case .workflow(let workflow) = configuration.graph, let problem = workflow.validate().first {
            throw .workflow(problem)
        }
    }

    public func edit(_ request: EditRequest) async throws(BackendError) -> EditResult {
        let upload = try encodeUploads(request)
        var avoided = Set<Int>()
        var lastFailure = ComfyUIFailure.noServerAvailable(detail: "no attempt was made")
        for attempt in 1...configuration.maximumAttempts {
            let lease: ComfyUIServerPool.Lease
            do {
                lease = try await pool.acquire(avoiding: avoided)
            } catch {
                logger.error("ComfyUI job failed", ["job.id": request.jobID, "error": error.description])
                throw error.backendError
            }

            let server = pool.clients[lease.index].name
            do {
                let image = try await runJob(request, upload: upload, serverIndex: lease.index)
                pool.release(lease)
                logger.debug("ComfyUI job finished", ["job.id": request.jobID, "server": server])
                return EditResult(image: image, server: server)
            } catch {
                try handleFailure(error, lease: lease, attempt: attempt, jobID: request.jobID)
                avoided.insert(lease.index)
                lastFailure = error
            }
        }
        throw lastFailure.backendError
    }

    /// Releases the lease after a failed attempt and takes a faulty server out of the pool.
    /// Throws when the failure is permanent or the job was cancelled, so no other server is tried.
    private func handleFailure(
        _ failure: ComfyUIFailure,
        lease: ComfyUIServerPool.Lease,
        attempt: Int,
        jobID: String
    ) throws(BackendError) {
        let server = pool.clients[lease.index].name
        if failure.isServerFault { pool.markFailed(lease.index, reason: failure.description) }
        pool.release(lease)

        if case .cancelled = failure { throw failure.backendError }
        guard failure.backendError.isTransient else {
            logger.error("ComfyUI job failed", ["job.id": jobID, "server": server, "error": failure.description])
            throw failure.backendError
        }
        logger.warning(
            "ComfyUI attempt failed",
            ["job.id": jobID, "server": server, "attempt": String(attempt), "error": failure.description]
        )
    }

    /// Closes the WebSocket connections. Call it when the daemon stops or reloads its configuration.
    public func shutdown() {
        channels.forEach { $0.close() }
    }
}
