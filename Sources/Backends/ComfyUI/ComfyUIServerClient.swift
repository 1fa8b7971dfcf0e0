import Foundation

/// An image that a node saved, as `/history` lists it and `/view` serves it.
struct ComfyUIImageReference: Sendable, Equatable {
    var filename: String
    var subfolder: String
    var type: String
}

/// The parts of a `/history/{prompt_id}` entry the backend reads.
struct ComfyUIHistoryEntry: Sendable {
    var statusText: String
    var completed: Bool
    var outputs: [String: [ComfyUIImageReference]]
    /// The `execution_error` or `execution_interrupted` message data, when the status is "error".
    var errorMessage: (type: String, data: JSONValue)?

    init(_ entry: JSONValue) {
        statusText = entry["status"]?["status_str"]?.stringValue ?? ""
        completed = entry["status"]?["completed"]?.boolValue ?? false
        var outputs: [String: [ComfyUIImageReference]] = [:]
        for (node, output) in entry["outputs"]?.objectValue ?? [:] {
            outputs[node] = (output["images"]?.arrayValue ?? []).compactMap { image in
                guard let filename = image["filename"]?.stringValue else { return nil }
                return ComfyUIImageReference(
                    filename: filename,
                    subfolder: image["subfolder"]?.stringValue ?? "",
                    type: image["type"]?.stringValue ?? "output"
                )
            }
        }
        self.outputs = outputs
        for message in entry["status"]?["messages"]?.arrayValue ?? [] {
            guard let pair = message.arrayValue, pair.count == 2, let type = pair[0].stringValue else { continue }
            if type == "execution_error" || type == "execution_interrupted" { errorMessage = (type, pair[1]) }
        }
    }
}

/// The HTTP side of ComfyUI's protocol for one server: upload, queue, history, view, health.
struct ComfyUIServerClient: Sendable {
    let endpoint: HTTPEndpoint
    let timeouts: ComfyUITimeouts

    var name: String { endpoint.description }

    /// Uploads a PNG with `POST /upload/image` and returns the path that `LoadImage` reads.
    ///
    /// The path uses the name the server returns, because on a clash it stores `name (1).png`.
    func upload(_ png: [UInt8], filename: String, subfolder: String) async throws(ComfyUIFailure) -> String {
        var form = MultipartForm()
        form.addFile(name: "image", filename: filename, contentType: "image/png", bytes: png)
        form.addField(name: "subfolder", value: subfolder)
        form.addField(name: "type", value: "input")
        let request = HTTPClientRequest(
            method: "POST",
            target: "/upload/image",
            headers: HTTPHeaders([("Content-Type", form.contentType)]),
            body: form.encoded
        )
        let response = try await send(request, operation: "POST /upload/image", timeout: timeouts.transfer)
        let body = try expectJSON(response, operation: "POST /upload/image")
        guard let name = body["name"]?.stringValue else {
            throw .invalidResponse(
                server: name,
                operation: "POST /upload/image",
                detail: "no 'name' in \(response.bodyText)"
            )
        }
        let storedSubfolder = body["subfolder"]?.stringValue ?? ""
        return storedSubfolder.isEmpty ? name : "\(storedSubfolder)/\(name)"
    }

    /// Queues `graph` with `POST /prompt` under the client-chosen `promptID`.
    ///
    /// A 200 response can still list `node_errors` for outputs it dropped; if `outputNode` is among
    /// them the job cannot produce its result, so that is a validation failure too.
    func queue(graph: JSONValue, promptID: String, clientID: String, outputNode: String) async throws(ComfyUIFailure) {
        let payload: JSONValue = .object([
            "prompt": graph, "prompt_id": .string(promptID), "client_id": .string(clientID),
        ])
        let request = HTTPClientRequest(
            method: "POST",
            target: "/prompt",
            headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: payload.serialized
        )
        let response = try await send(request, operation: "POST /prompt", timeout: timeouts.request)
        if response.status == 400, let body = JSONValue.parse(response.body),
            body["error"] != nil || body["node_errors"] != nil
        {
            throw .validation(server: name, message: Self.validationMessage(body))
        }
        let body = try expectJSON(response, operation: "POST /prompt")
        let nodeErrors = body["node_errors"]?.objectValue ?? [:]
        let affectsOutput = nodeErrors.contains { id, entry in
            id == outputNode || (entry["dependent_outputs"]?.arrayValue ?? []).contains(.string(outputNode))
        }
        if affectsOutput {
            throw .validation(server: name, message: Self.validationMessage(body))
        }
    }

    /// Builds one line from a validation response: the top-level error, then every node's reasons.
    static func validationMessage(_ body: JSONValue) -> String {
        var parts: [String] = []
        if let error = body["error"], let message = error["message"]?.stringValue {
            let details = error["details"]?.stringValue ?? ""
            parts.append(details.isEmpty ? message : "\(message): \(details)")
        }
        let nodeErrors = body["node_errors"]?.objectValue ?? [:]
        for id in nodeErrors.keys.sorted() {
            let entry = nodeErrors[id] ?? .null
            let classType = entry["class_type"]?.stringValue ?? "unknown class"
            for reason in entry["errors"]?.arrayValue ?? [] {
                let message = reason["message"]?.stringValue ?? "invalid"
                let details = reason["details"]?.stringValue ?? ""
                parts.append("node \(id) (\(classType)): \(message)" + (details.isEmpty ? "" : ": \(details)"))
            }
        }
        return parts.isEmpty ? "HTTP 400 without details" : parts.joined(separator: "; ")
    }

    /// Reads `/history/{prompt_id}`; returns nil while the server has no entry for it.
    func history(promptID: String) async throws(ComfyUIFailure) -> ComfyUIHistoryEntry? {
        let request = HTTPClientRequest(method: "GET", target: "/history/\(promptID)")
        let response = try await send(request, operation: "GET /history", timeout: timeouts.request)
        let body = try expectJSON(response, operation: "GET /history")
        return body[promptID].map(ComfyUIHistoryEntry.init)
    }

    /// Checks whether `GET /queue` lists the prompt as running or pending.
    func isQueued(promptID: String) async throws(ComfyUIFailure) -> Bool {
        let response = try await send(
            HTTPClientRequest(method: "GET", target: "/queue"),
            operation: "GET /queue",
            timeout: timeouts.request
        )
        let body = try expectJSON(response, operation: "GET /queue")
        let items = (body["queue_running"]?.arrayValue ?? []) + (body["queue_pending"]?.arrayValue ?? [])
        return items.contains { $0.arrayValue?.dropFirst().first?.stringValue == promptID }
    }

    /// Downloads a saved image with `GET /view`.
    func download(_ image: ComfyUIImageReference) async throws(ComfyUIFailure) -> [UInt8] {
        let target =
            "/view?filename=\(Self.queryEscaped(image.filename))&subfolder=\(Self.queryEscaped(image.subfolder))&type=\(Self.queryEscaped(image.type))"
        let response = try await send(
            HTTPClientRequest(method: "GET", target: target),
            operation: "GET /view",
            timeout: timeouts.transfer
        )
        guard response.status == 200 else { throw statusFailure(response, operation: "GET /view") }
        return response.body
    }

    /// Checks `GET /system_stats`, the health check that brings a server back into the pool.
    func checkHealth() async throws(ComfyUIFailure) {
        let response = try await send(
            HTTPClientRequest(method: "GET", target: "/system_stats"),
            operation: "GET /system_stats",
            timeout: timeouts.request
        )
        let body = try expectJSON(response, operation: "GET /system_stats")
        guard body["system"] != nil else {
            throw .invalidResponse(server: name, operation: "GET /system_stats", detail: "no 'system' object")
        }
    }

    /// Removes the prompt from the queue, or interrupts it if it is running (best effort).
    func cancel(promptID: String) async {
        let delete: JSONValue = .object(["delete": .array([.string(promptID)])])
        let headers = HTTPHeaders([("Content-Type", "application/json")])
        _ = try? await send(
            HTTPClientRequest(method: "POST", target: "/queue", headers: headers, body: delete.serialized),
            operation: "POST /queue",
            timeout: timeouts.request
        )
        let interrupt: JSONValue = .object(["prompt_id": .string(promptID)])
        _ = try? await send(
            HTTPClientRequest(method: "POST", target: "/interrupt", headers: headers, body: interrupt.serialized),
            operation: "POST /interrupt",
            timeout: timeouts.request
        )
    }

    private func send(_ request: HTTPClientRequest, operation: String, timeout: Duration) async throws(ComfyUIFailure)
        -> HTTPResponse
    {
        do {
            return try await HTTPClient.send(request, to: endpoint, timeout: timeout)
        } catch .socket(.timedOut) {
            throw .timedOut(server: name, operation: operation)
        } catch .socket(let error) {
            throw .unreachable(server: name, detail: error.description)
        } catch {
            throw .invalidResponse(server: name, operation: operation, detail: error.description)
        }
    }

    private func expectJSON(_ response: HTTPResponse, operation: String) throws(ComfyUIFailure) -> JSONValue {
        guard response.status == 200 else { throw statusFailure(response, operation: operation) }
        guard let body = JSONValue.parse(response.body) else {
            throw .invalidResponse(server: name, operation: operation, detail: "body is not JSON")
        }
        return body
    }

    private func statusFailure(_ response: HTTPResponse, operation: String) -> ComfyUIFailure {
        let text = String(response.bodyText.prefix(300))
        if response.status == 413 { return .requestTooLarge(server: name, operation: operation, message: text) }
        if response.status >= 500 {
            return .serverError(server: name, status: response.status, operation: operation, body: text)
        }
        return .invalidResponse(server: name, operation: operation, detail: "HTTP \(response.status) \(text)")
    }

    static func queryEscaped(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
