/// A failure of one attempt of a job on one ComfyUI server.
enum ComfyUIFailure: Error, Equatable, CustomStringConvertible {
    /// The server could not be reached or the connection broke (refused, reset, DNS).
    case unreachable(server: String, detail: String)
    case timedOut(server: String, operation: String)
    case serverError(server: String, status: Int, operation: String, body: String)
    /// The server sent a response that does not follow ComfyUI's protocol.
    case invalidResponse(server: String, operation: String, detail: String)
    /// `POST /prompt` returned 400 because the graph failed validation.
    case validation(server: String, message: String)
    /// HTTP 413: the request body is above the server's `--max-upload-size`.
    case requestTooLarge(server: String, operation: String, message: String)
    /// A node raised during execution (`execution_error`).
    case execution(server: String, node: String, classType: String, exceptionType: String, message: String)
    case interrupted(server: String, node: String)
    /// The prompt vanished from both queue and history, as after a server restart.
    case queueLost(server: String, promptID: String)
    case jobTimedOut(server: String, timeout: Duration)
    case noOutput(server: String, node: String)
    case undecodableOutput(server: String, file: String, detail: String)
    case noServerAvailable(detail: String)
    /// The calling task was cancelled (the daemon is stopping), and the prompt was removed from the server.
    case cancelled(server: String)

    var description: String {
        switch self {
        case .unreachable(let server, let detail):
            "ComfyUI server \(server) is unreachable: \(detail)"
        case .timedOut(let server, let operation):
            "ComfyUI server \(server) timed out during \(operation)"
        case .serverError(let server, let status, let operation, let body):
            "ComfyUI server \(server) answered HTTP \(status) to \(operation)\(body.isEmpty ? "" : ": \(body)")"
        case .invalidResponse(let server, let operation, let detail):
            "ComfyUI server \(server) sent an invalid response to \(operation): \(detail)"
        case .validation(let server, let message):
            "ComfyUI server \(server) rejected the graph: \(message)"
        case .requestTooLarge(let server, let operation, let message):
            "ComfyUI server \(server) rejected \(operation) as too large (\(message)); "
                + "start the server with a larger --max-upload-size or send a smaller image"
        case .execution(let server, let node, let classType, let exceptionType, let message):
            "ComfyUI server \(server): node \(node) (\(classType)) failed with \(exceptionType): \(message)"
        case .interrupted(let server, let node):
            "ComfyUI server \(server) interrupted the job at node \(node)"
        case .queueLost(let server, let promptID):
            "ComfyUI server \(server) lost prompt \(promptID) (it is in neither the queue nor the history; the server probably restarted)"
        case .jobTimedOut(let server, let timeout):
            "ComfyUI server \(server) did not finish the job within \(timeout)"
        case .noOutput(let server, let node):
            "ComfyUI server \(server) finished the job, but output node \(node) produced no image"
        case .undecodableOutput(let server, let file, let detail):
            "ComfyUI server \(server) returned output '\(file)' that cannot be decoded: \(detail)"
        case .noServerAvailable(let detail):
            "no ComfyUI server is available: \(detail)"
        case .cancelled(let server):
            "the job on ComfyUI server \(server) was cancelled"
        }
    }

    /// Whether the server itself looks unhealthy, so it leaves the pool until a health check passes.
    var isServerFault: Bool {
        switch self {
        case .unreachable, .timedOut, .serverError, .invalidResponse, .queueLost, .jobTimedOut: true
        case .execution(_, _, _, let exceptionType, let message): Self.isOutOfMemory(exceptionType, message)
        default: false
        }
    }

    /// The pipeline's view: transient failures are retried later, permanent ones fail the job.
    var backendError: BackendError {
        switch self {
        case .validation, .requestTooLarge, .noOutput, .undecodableOutput:
            .permanent(description)
        case .execution(_, _, _, let exceptionType, let message):
            Self.isOutOfMemory(exceptionType, message) ? .transient(description) : .permanent(description)
        default:
            .transient(description)
        }
    }

    /// Out-of-memory errors depend on the server's load, not on the job, so another try may pass.
    private static func isOutOfMemory(_ exceptionType: String, _ message: String) -> Bool {
        exceptionType.contains("OutOfMemory") || message.lowercased().contains("out of memory")
    }
}
