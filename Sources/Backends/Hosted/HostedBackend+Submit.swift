import DaemonSupport
import Foundation

extension HostedBackend {
    /// Sends the submit, retrying only when the provider certainly did not accept it (429, or no
    /// connection), and saves the run id before returning so polling can resume after a crash.
    func submit(_ body: JSONValue, request: EditRequest) async throws(HostedFailure) -> HostedRun {
        let url = try url(path: profile.submitPath)
        let waitLimit = ContinuousClock.now + .milliseconds(Int64(profile.timeouts.submitWait * 1000))
        var delay = profile.polling.initial
        while true {
            try markSubmitting(request)
            let response: HTTPResponse
            do {
                response = try await HostedTransport.send(
                    method: "POST",
                    url: url,
                    headers: headers(submit: true, contentType: "application/json"),
                    body: body.serialized,
                    timeout: profile.timeouts.request,
                    proxy: profile.httpsProxy,
                    caFile: profile.caFile
                )
            } catch {
                switch error {
                case .notSent(let detail):
                    clearSubmitting(request)
                    throw .unavailable("\(url.redactedDescription): \(detail)")
                case .lost(let detail):
                    try? request.checkpoint?.save([HostedBackend.Record.state: HostedBackend.Record.unknown])
                    throw .outcomeUnknown(provider: url.redactedDescription, detail: detail)
                }
            }

            if response.status == 429 {
                clearSubmitting(request)
                let wait = HostedTransport.retryAfter(response) ?? delay
                delay = min(delay * profile.polling.factor * 2, profile.polling.maximum * 6)
                guard ContinuousClock.now + .milliseconds(Int64(wait * 1000)) < waitLimit else {
                    throw .unavailable("the provider kept answering 429 (rate limit or concurrency cap) for \(Int(profile.timeouts.submitWait)) s")
                }
                logger.warning("Hosted submit rate-limited; waiting", ["job": request.jobID, "seconds": String(wait)])
                try await pause(wait)
                continue
            }
            return try accept(response, url: url, request: request)
        }
    }

    private func accept(_ response: HTTPResponse, url: HostedURL, request: EditRequest) throws(HostedFailure) -> HostedRun {
        let parsed = JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let message = parsed.flatMap { HostedJSONPath.message(at: profile.errorPaths, in: $0) } ?? String(response.bodyText.prefix(300))
            if (400..<500).contains(response.status) {
                clearSubmitting(request)
                if isModeration(message) { throw .moderated(status: "HTTP \(response.status)", message: message) }
                throw .rejected(status: response.status, message: message)
            }
            // A 5xx after the body was sent may still have started a run, so it is not resent.
            try? request.checkpoint?.save([HostedBackend.Record.state: HostedBackend.Record.unknown])
            throw .outcomeUnknown(provider: url.redactedDescription, detail: "HTTP \(response.status): \(message)")
        }
        guard let parsed, let id = HostedJSONPath.string(at: profile.idPath, in: parsed) else {
            try? request.checkpoint?.save([HostedBackend.Record.state: HostedBackend.Record.unknown])
            throw .outcomeUnknown(provider: url.redactedDescription, detail: "HTTP \(response.status) without a run id at '\(profile.idPath)'")
        }
        let run = try makeRun(id: id, response: parsed)
        save(run, request: request)
        logger.info("Hosted run submitted", ["job": request.jobID, "run": id, "poll": run.pollURL.redactedDescription])
        return run
    }

    private func makeRun(id: String, response: JSONValue) throws(HostedFailure) -> HostedRun {
        do {
            let pollURL: HostedURL
            if let path = profile.pollURLPath, let text = HostedJSONPath.string(at: path, in: response) {
                pollURL = try profile.baseURL.resolving(text)
            } else if let template = profile.pollPathTemplate {
                let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
                pollURL = try url(path: template.replacingOccurrences(of: "{id}", with: escaped))
            } else {
                throw HostedConfigurationError.invalidURL("", reason: "no poll URL at '\(profile.pollURLPath ?? "")'")
            }
            let resultURL = try profile.resultURLPath.flatMap { (path) throws(HostedConfigurationError) in
                try HostedJSONPath.string(at: path, in: response).map { (text) throws(HostedConfigurationError) in
                    try profile.baseURL.resolving(text)
                }
            }
            return HostedRun(id: id, pollURL: pollURL, resultURL: resultURL)
        } catch {
            // The run exists but cannot be followed; it must not be resubmitted.
            throw .outcomeUnknown(provider: profile.name, detail: "run \(id) was accepted but its poll URL is unusable: \(error)")
        }
    }

    private func save(_ run: HostedRun, request: EditRequest) {
        var values = [
            HostedBackend.Record.state: HostedBackend.Record.submitted,
            HostedBackend.Record.runID: run.id,
            HostedBackend.Record.pollURL: run.pollURL.description,
        ]
        values[HostedBackend.Record.resultURL] = run.resultURL?.description
        do {
            try request.checkpoint?.save(values)
        } catch {
            // The `submitting` state is on disk, so a crash now fails the job as unknown instead of resubmitting.
            logger.error("Saving the hosted run's checkpoint failed; polling continues", ["job": request.jobID, "run": run.id, "error": "\(error)"])
        }
    }

    private func markSubmitting(_ request: EditRequest) throws(HostedFailure) {
        do {
            try request.checkpoint?.save([HostedBackend.Record.state: HostedBackend.Record.submitting])
        } catch {
            throw .unavailable("cannot save the job's checkpoint before submitting (\(error)); not submitting without it")
        }
    }

    private func clearSubmitting(_ request: EditRequest) {
        try? request.checkpoint?.save([:])
    }

    func url(path: String) throws(HostedFailure) -> HostedURL {
        do {
            return try profile.baseURL.appending(path: path)
        } catch {
            throw .invalidRequest("profile '\(profile.name)' has an unusable path '\(path)': \(error)")
        }
    }

    func isModeration(_ message: String) -> Bool {
        profile.moderatedMarkers.contains { message.localizedCaseInsensitiveContains($0) }
    }
}
