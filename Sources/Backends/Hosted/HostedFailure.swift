/// The reason one hosted run failed, before it becomes a `BackendError` for the pipeline.
///
/// Messages may contain server text; `HostedBackend` passes each through the key's redaction first.
enum HostedFailure: Error, Equatable, CustomStringConvertible {
    /// The provider refused the submit (4xx other than 429), so no run exists.
    case rejected(status: Int, message: String)
    /// The content filter rejected the input or the output.
    case moderated(status: String, message: String?)
    /// The run ended in a failure status.
    case failed(status: String, message: String?)
    /// A submit was sent but its outcome is unknown, so a run may exist and may be charged.
    case outcomeUnknown(provider: String, detail: String)
    /// The result URL returned 403, 404 or 410: it expired or was removed before the download.
    case resultExpired(status: Int, runID: String)
    /// The run did not finish within the job timeout; its id stays in the checkpoint for the retry.
    case stillRunning(runID: String, seconds: Double)
    /// The provider could not be reached, or kept returning 429 or 5xx.
    case unavailable(String)
    /// The provider sent a response the profile cannot read.
    case invalidResponse(String)
    /// The request cannot be sent as it is: too large, or a URL the client cannot speak.
    case invalidRequest(String)

    var isTransient: Bool {
        switch self {
        case .stillRunning, .unavailable: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .rejected(let status, let message):
            "the provider rejected the request with HTTP \(status): \(message)"
        case .moderated(let status, let message):
            "the provider's content filter rejected the run (\(status))" + (message.map { ": \($0)" } ?? "")
                + "; change the prompt or the image, since resubmitting it unchanged gives the same result"
        case .failed(let status, let message):
            "the run failed with status '\(status)'" + (message.map { ": \($0)" } ?? "")
        case .outcomeUnknown(let provider, let detail):
            "the submit to \(provider) was sent but its outcome is unknown (\(detail)); a run may exist and be charged, "
                + "so it was not sent again. Check the provider's dashboard for the run, then drop the image again to submit anew"
        case .resultExpired(let status, let runID):
            "run \(runID) finished but its result URL answered HTTP \(status), so the result expired before the download; "
                + "drop the image again to run it anew"
        case .stillRunning(let runID, let seconds):
            "run \(runID) did not finish within \(Int(seconds)) s; it stays recorded, so the retry polls it again instead of resubmitting"
        case .unavailable(let detail):
            "the provider is unavailable: \(detail)"
        case .invalidResponse(let detail):
            "the provider's response could not be read: \(detail)"
        case .invalidRequest(let detail):
            detail
        }
    }
}

/// An HTTP exchange that did not produce a response.
enum HostedTransportError: Error {
    /// Nothing reached the server (resolve failure, refused or timed-out connect), so retrying is safe.
    case notSent(String)
    /// The request may have reached the server; a submit in this state has an unknown outcome.
    case lost(String)
}
