import Backends
import Synchronization

/// The poll answers of each provider, in the shapes their documentation and recordings show.
extension FakeHosted {
    func bflStatus(_ id: String) -> HTTPServerReply {
        func body(_ status: String, _ extra: [String: JSONValue] = [:]) -> HTTPServerReply {
            var fields: [String: JSONValue] = ["id": .string(id), "status": .string(status), "result": .null, "progress": .null, "details": .null, "preview": .null]
            fields.merge(extra) { $1 }
            return json(200, .object(fields), headers: [("Retry-After", "0")])
        }
        switch advance(id) {
        case .rateLimited: return rateLimitReply()
        case .notFound: return body("Task not found")
        case .unknownWord: return body("Warming Up")
        case .running: return body("Pending")
        case .succeeded: return body("Ready", ["result": .object(["sample": .string(resultURL(id)), "seed": .integer(42)])])
        case .failed(let message): return body("Error", ["details": .object(["error": .string(message)])])
        case .moderated: return body("Request Moderated", ["details": .object(["Moderation Reasons": .array([.string("Derivative Works Filter")])])])
        }
    }

    func replicateStatus(_ id: String) -> HTTPServerReply {
        func body(_ status: String, output: JSONValue = .null, error: JSONValue = .null) -> HTTPServerReply {
            json(200, .object(["id": .string(id), "status": .string(status), "output": output, "error": error, "logs": .string("")]))
        }
        switch advance(id) {
        case .rateLimited: return rateLimitReply()
        case .notFound: return json(404, .object(["detail": .string("Not found."), "status": .integer(404)]))
        case .unknownWord: return body("booting")
        case .running: return body("processing")
        case .succeeded: return body("succeeded", output: .string(resultURL(id)))
        case .failed(let message): return body("failed", error: .string(message))
        case .moderated: return body("failed", error: .string("Prediction failed: the output was flagged as sensitive (E005)"))
        }
    }

    func falStatus(_ id: String) -> HTTPServerReply {
        switch advance(id) {
        case .rateLimited: return rateLimitReply()
        case .notFound: return json(404, .object(["detail": .string("Request not found")]))
        case .unknownWord: return json(200, .object(["status": .string("WARMING_UP")]))
        case .running: return json(200, .object(["status": .string("IN_PROGRESS"), "logs": .array([])]))
        case .succeeded, .failed, .moderated: return json(200, .object(["status": .string("COMPLETED"), "logs": .array([])]))
        }
    }

    /// fal reports failures only when the result is fetched, as a non-2xx answer with an error body.
    func falResult(_ id: String) -> HTTPServerReply {
        let outcome = state.withLock { state -> Outcome? in state.runs[id] == nil ? nil : state.settings.outcome }
        switch outcome {
        case nil:
            return json(404, .object(["detail": .string("Request not found")]))
        case .succeed?:
            let image: JSONValue = .object(["url": .string(resultURL(id)), "content_type": .string("image/png")])
            return json(200, .object(["images": .array([image]), "seed": .integer(42), "has_nsfw_concepts": .array([.bool(false)])]))
        case .fail(let message)?:
            let echoed = settings.echoKeyInErrors ? " (request authorized with \(settings.key))" : ""
            return json(422, .object(["detail": .array([.object(["msg": .string(message + echoed), "type": .string("image_load_error")])])]))
        case .moderated?:
            let detail: JSONValue = .object(["msg": .string("The content could not be processed because it contained material flagged by a content checker."), "type": .string("content_policy_violation")])
            return json(422, .object(["detail": .array([detail])]))
        }
    }

    func runsStatus(_ id: String) -> HTTPServerReply {
        func body(_ status: String, output: JSONValue = .null, error: JSONValue = .null) -> HTTPServerReply {
            json(200, .object(["id": .string(id), "status": .string(status), "output": output, "error": error]))
        }
        switch advance(id) {
        case .rateLimited: return rateLimitReply()
        case .notFound: return json(404, .object(["error": .object(["code": .string("not_found"), "message": .string("run not found")])]))
        case .unknownWord: return body("preparing")
        case .running: return body("running")
        case .succeeded: return body("succeeded", output: .object(["images": .array([.object(["url": .string(resultURL(id))])])]))
        case .failed(let message): return body("failed", error: .object(["code": .string("internal_error"), "message": .string(message)]))
        case .moderated: return body("failed", error: .object(["code": .string("content_moderated"), "message": .string("the output was withheld by moderation")]))
        }
    }

    func rateLimitReply() -> HTTPServerReply {
        let seconds = settings.retryAfter
        return json(429, .object(["detail": .string("Too many requests"), "retry_after": .integer(Int64(seconds) ?? 1)]), headers: [("Retry-After", seconds)])
    }
}
