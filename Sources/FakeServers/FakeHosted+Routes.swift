import Backends
import Synchronization
import Foundation
import Imaging

extension FakeHosted {
    func handleAPI(_ request: HTTPServerRequest) -> HTTPServerReply {
        guard isAuthorized(request) else { return unauthorized() }
        if flavor == .runs, request.method == "GET", request.path.hasPrefix("/v1/runs/") {
            return pollReply(runsStatus(String(request.path.dropFirst("/v1/runs/".count))))
        }
        if flavor == .replicate, request.method == "POST", request.path == "/v1/files" {
            return storeUpload(request)
        }
        guard request.method == "POST", request.path == submitPath else {
            return json(404, .object(["detail": .string("Not Found")]))
        }
        return submit(request)
    }

    func handleDelivery(_ request: HTTPServerRequest) -> HTTPServerReply {
        if request.path.hasPrefix("/results/") {
            let name = String(request.path.dropFirst("/results/".count))
            return serveResult(name.hasSuffix(".png") ? String(name.dropLast(4)) : name)
        }
        guard isAuthorized(request) else { return unauthorized() }
        let parts = request.path.split(separator: "/").map(String.init)
        switch flavor {
        case .bfl, .bflFill:
            guard request.path == "/v1/get_result", let id = request.query["id"] else { break }
            return pollReply(bflStatus(id))
        case .replicate:
            guard parts.count == 3, parts[0] == "v1", parts[1] == "predictions" else { break }
            return pollReply(replicateStatus(parts[2]))
        case .fal:
            guard parts.count >= 4, parts[2] == "requests" else { break }
            return parts.count == 5 && parts[4] == "status" ? pollReply(falStatus(parts[3])) : falResult(parts[3])
        case .runs:
            break
        }
        return json(404, .object(["detail": .string("Not Found")]))
    }

    var submitPath: String {
        switch flavor {
        case .bfl: "/v1/flux-kontext-pro"
        case .bflFill: "/v1/flux-pro-1.0-fill"
        case .replicate: "/v1/models/black-forest-labs/flux-kontext-pro/predictions"
        case .fal: "/fal-ai/flux-pro/kontext"
        case .runs: "/v1/models/flux-kontext-pro/runs"
        }
    }

    private func unauthorized() -> HTTPServerReply {
        switch flavor {
        case .bfl, .bflFill: json(403, .object(["detail": .string("Not authenticated - Invalid Authentication")]))
        case .replicate: json(401, .object(["detail": .string("Unauthenticated"), "status": .integer(401)]))
        case .fal, .runs: json(401, .object(["detail": .string("No user found for Key ID and Secret")]))
        }
    }

    private func submit(_ request: HTTPServerRequest) -> HTTPServerReply {
        let limited = state.withLock { state -> String? in
            state.submitAttempts += 1
            guard state.settings.rateLimitedSubmits > 0 else { return nil }
            state.settings.rateLimitedSubmits -= 1
            return state.settings.retryAfter
        }
        if let limited {
            let body: JSONValue = .object([
                "detail": .string("Request was throttled. Your rate limit resets in ~\(limited)s."),
                "retry_after": .integer(Int64(limited) ?? 1),
            ])
            return json(429, body, headers: [("Retry-After", limited)])
        }
        guard let body = JSONValue.parse(request.body) else {
            return json(400, .object(["detail": .string("Failed to parse request body as JSON")]))
        }
        let input = flavor == .replicate ? (body["input"] ?? .null) : body
        guard let imageText = input[imageField]?.stringValue, let image = decodeInput(imageText) else {
            return validationError("\(imageField) is missing or not a decodable image")
        }
        if flavor == .bflFill {
            guard let maskText = input["mask"]?.stringValue, let mask = decodeInput(maskText) else { return validationError("mask is missing") }
            guard mask.width == image.width, mask.height == image.height else { return validationError("mask size differs from image size") }
        } else if input["prompt"]?.stringValue == nil {
            return validationError("prompt is required")
        }
        let id = startRun(input: image, body: body)
        if settings.dropSubmitResponse { return .dropConnection }
        let reply = json(flavor == .replicate || flavor == .runs ? 201 : 200, submitResponse(id))
        if let delay = settings.slowSubmitDelay, case .response(let response) = reply {
            return .slowResponse(response, chunkSize: 4, delay: delay)
        }
        return reply
    }

    private var imageField: String {
        switch flavor {
        case .bfl, .replicate: "input_image"
        case .bflFill: "image"
        case .fal: "image_url"
        case .runs: "image"
        }
    }

    private func validationError(_ message: String) -> HTTPServerReply {
        json(422, .object(["detail": .array([.object(["loc": .array([.string("body")]), "msg": .string(message), "type": .string("value_error")])])]))
    }

    private func submitResponse(_ id: String) -> JSONValue {
        let delivery = "http://localhost:\(deliveryPort)"
        switch flavor {
        case .bfl, .bflFill:
            return .object(["id": .string(id), "polling_url": .string("\(delivery)/v1/get_result?id=\(id)"), "cost": .double(3.0)])
        case .replicate:
            return .object([
                "id": .string(id), "status": .string("starting"),
                "urls": .object(["get": .string("\(delivery)/v1/predictions/\(id)"), "cancel": .string("\(delivery)/v1/predictions/\(id)/cancel")]),
            ])
        case .fal:
            let base = "\(delivery)/fal-ai/flux-pro/requests/\(id)"
            return .object([
                "request_id": .string(id), "status": .string("IN_QUEUE"), "queue_position": .integer(0),
                "status_url": .string(base + "/status"), "response_url": .string(base), "cancel_url": .string(base + "/cancel"),
            ])
        case .runs:
            return .object(["id": .string(id), "status": .string("queued")])
        }
    }

    private func storeUpload(_ request: HTTPServerRequest) -> HTTPServerReply {
        guard let parts = MultipartParser.parse(request.body, contentType: request.headers["Content-Type"] ?? ""),
            let file = parts.first(where: { $0.name == "content" })
        else {
            return json(400, .object(["detail": .string("expected a multipart body with a 'content' file")]))
        }
        let id = "file-" + nextID()
        state.withLock { $0.files[id] = file.body }
        return json(201, .object(["id": .string(id), "urls": .object(["get": .string("http://localhost:\(deliveryPort)/files/\(id)")])]))
    }
}
