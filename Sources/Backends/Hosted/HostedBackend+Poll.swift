import DaemonSupport
import Foundation
import Imaging

extension HostedBackend {
    /// Polls the URL the provider returned until the run succeeds, fails or the job deadline passes.
    ///
    /// Connection errors, 429 and 5xx responses, unreadable bodies and unknown status words all count
    /// toward the deadline and never end the run early, since a GET is safe to repeat.
    func poll(_ run: HostedRun, deadline: ContinuousClock.Instant, jobID: String) async throws(HostedFailure) -> JSONValue {
        var delay = profile.polling.initial
        var reportedWords: Set<String> = []
        var problems = 0
        while true {
            guard ContinuousClock.now < deadline else {
                throw .stillRunning(runID: run.id, seconds: profile.timeouts.job)
            }
            var wait = delay
            delay = min(delay * profile.polling.factor, profile.polling.maximum)
            do {
                let response = try await HostedTransport.send(method: "GET", url: run.pollURL, headers: headers(), timeout: profile.timeouts.request, proxy: profile.httpsProxy, caFile: profile.caFile)
                if let body = try classify(response, run: run, reportedWords: &reportedWords, jobID: jobID) {
                    return body
                }
                // Retry-After raises the wait, never shortens it: BFL sends 0 on every pending poll.
                if let asked = HostedTransport.retryAfter(response) { wait = max(asked, wait) }
            } catch let error as HostedTransportError {
                problems += 1
                if problems == 1 || problems % 10 == 0 {
                    logger.warning("Polling the hosted run failed; retrying", ["job": jobID, "run": run.id, "error": key.redact(error.detail), "count": String(problems)])
                }
            } catch let failure as HostedFailure {
                throw failure
            } catch {
                throw .invalidResponse("\(error)")
            }
            try await pause(min(wait, max(0, (deadline - ContinuousClock.now).seconds)))
        }
    }

    /// Returns the body of a finished run, nil to keep polling, or throws for a failure.
    private func classify(_ response: HTTPResponse, run: HostedRun, reportedWords: inout Set<String>, jobID: String) throws(HostedFailure) -> JSONValue? {
        let body = JSONValue.parse(response.body)
        if response.status == 429 || response.status >= 500 { return nil }
        guard (200..<300).contains(response.status) else {
            let message = body.flatMap { HostedJSONPath.message(at: profile.errorPaths, in: $0) } ?? String(response.bodyText.prefix(300))
            throw .failed(status: "HTTP \(response.status) while polling", message: message)
        }
        guard let body, let status = HostedJSONPath.string(at: profile.statusPath, in: body) else {
            report("(unreadable body)", reportedWords: &reportedWords, run: run, jobID: jobID)
            return nil
        }
        let message = HostedJSONPath.message(at: profile.errorPaths, in: body)
        if profile.succeededWords.contains(status) { return body }
        if profile.moderatedWords.contains(status) { throw .moderated(status: status, message: message) }
        if profile.failedWords.contains(status) {
            if isModeration(body.serializedString) { throw .moderated(status: status, message: message) }
            throw .failed(status: status, message: message)
        }
        if !profile.runningWords.contains(status) {
            report(status, reportedWords: &reportedWords, run: run, jobID: jobID)
        }
        return nil
    }

    private func report(_ word: String, reportedWords: inout Set<String>, run: HostedRun, jobID: String) {
        guard reportedWords.insert(word).inserted else { return }
        logger.warning("Hosted run has an unknown status; still polling", ["job": jobID, "run": run.id, "status": key.redact(word)])
    }

    /// Fetches the output (from the separate result URL first, for fal) and downloads the image at once,
    /// since result URLs expire (10 minutes at BFL).
    func downloadResult(of run: HostedRun, finished: JSONValue, jobID: String) async throws(HostedFailure) -> Image {
        var output = finished
        if let resultURL = run.resultURL {
            output = try await fetchOutput(resultURL, run: run)
        }
        guard let reference = profile.imagePaths.lazy.compactMap({ HostedJSONPath.string(at: $0, in: output) }).first else {
            throw .invalidResponse("run \(run.id) succeeded but has no image at \(profile.imagePaths.joined(separator: ", "))")
        }
        let bytes = try await download(reference, run: run)
        do {
            return try ImageDecoder.decode(bytes).image
        } catch {
            throw .invalidResponse("the image of run \(run.id) could not be decoded: \(error)")
        }
    }

    private func fetchOutput(_ url: HostedURL, run: HostedRun) async throws(HostedFailure) -> JSONValue {
        let response = try await getWithRetries(url, headers: headers(), run: run)
        let body = JSONValue.parse(response.body)
        guard (200..<300).contains(response.status), let body else {
            let message = body.flatMap { HostedJSONPath.message(at: profile.errorPaths, in: $0) } ?? String(response.bodyText.prefix(300))
            if isModeration(response.bodyText) { throw .moderated(status: "HTTP \(response.status)", message: message) }
            throw .failed(status: "HTTP \(response.status) from the result URL", message: message)
        }
        return body
    }

    private func download(_ reference: String, run: HostedRun) async throws(HostedFailure) -> [UInt8] {
        if reference.hasPrefix("data:") {
            guard let comma = reference.firstIndex(of: ","), let data = Data(base64Encoded: String(reference[reference.index(after: comma)...])) else {
                throw .invalidResponse("run \(run.id) returned a data URI that is not base64")
            }
            return [UInt8](data)
        }
        let url: HostedURL
        do {
            url = try profile.baseURL.resolving(reference)
        } catch {
            throw .invalidResponse("run \(run.id) returned an unusable result URL: \(error)")
        }
        let response = try await getWithRetries(url, headers: profile.downloadAuth ? headers() : HTTPHeaders(), run: run)
        if [401, 403, 404, 410].contains(response.status) {
            throw .resultExpired(status: response.status, runID: run.id)
        }
        guard (200..<300).contains(response.status) else {
            throw .failed(status: "HTTP \(response.status) from the result URL", message: String(response.bodyText.prefix(300)))
        }
        return response.body
    }

    /// A GET repeated on connection errors, 429 and 5xx, for at most three tries.
    private func getWithRetries(_ url: HostedURL, headers: HTTPHeaders, run: HostedRun) async throws(HostedFailure) -> HTTPResponse {
        var lastProblem = ""
        for attempt in 1...3 {
            do {
                let response = try await HostedTransport.send(method: "GET", url: url, headers: headers, timeout: profile.timeouts.download, proxy: profile.httpsProxy, caFile: profile.caFile)
                if response.status != 429 && response.status < 500 { return response }
                lastProblem = "HTTP \(response.status)"
                try await pause(HostedTransport.retryAfter(response) ?? Double(attempt))
            } catch let error as HostedTransportError {
                lastProblem = error.detail
                try await pause(Double(attempt))
            } catch let failure as HostedFailure {
                throw failure
            } catch {
                throw .invalidResponse("\(error)")
            }
        }
        throw .unavailable("downloading the result of run \(run.id) from \(url.redactedDescription) failed three times (\(lastProblem))")
    }
}

extension HostedTransportError {
    var detail: String {
        switch self {
        case .notSent(let detail), .lost(let detail): detail
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
