import Backends
import Foundation
import Synchronization

extension FakeComfyUI {
    func route(_ request: HTTPServerRequest) -> HTTPServerReply {
        // Every route is also served under /api, as in ComfyUI's server.py.
        let path = request.path.hasPrefix("/api/") ? String(request.path.dropFirst(4)) : request.path
        if let origin = request.headers["Origin"], let host = request.headers["Host"],
            URL(string: origin)?.host.map({ !host.hasPrefix($0) }) ?? true
        {
            return text(403, "Forbidden: origin \(origin) does not match host \(host)")
        }
        if let status = takeScriptedStatus(for: path) {
            return text(status, "\(status): scripted failure")
        }

        switch (request.method, path) {
        case ("GET", "/ws"):
            return .webSocket { [self] connection in serveWebSocket(connection, clientID: request.query["clientId"]) }
        case ("GET", "/system_stats"): return json(200, systemStats())
        case ("GET", "/features"):
            return json(
                200,
                .object([
                    "supports_preview_metadata": .bool(true),
                    "max_upload_size": .integer(Int64(server.maximumBodySize)),
                ])
            )
        case ("GET", "/prompt"):
            return json(200, .object(["exec_info": .object(["queue_remaining": .integer(Int64(queueLength))])]))
        case ("POST", "/prompt"): return postPrompt(request)
        case ("GET", "/queue"): return json(200, queueListing())
        case ("POST", "/queue"): return postQueue(request)
        case ("POST", "/interrupt"): return postInterrupt(request)
        case ("POST", "/upload/image"): return upload(request)
        case ("GET", "/view"): return view(request)
        case ("GET", "/history"): return json(200, .object(state.withLock { $0.history }))
        case ("GET", _) where path.hasPrefix("/history/"):
            let id = String(path.dropFirst("/history/".count))
            let entry = state.withLock { $0.history[id] }
            return json(200, entry.map { .object([id: $0]) } ?? .object([:]))
        default: return text(404, "404: Not Found")
        }
    }

    private func takeScriptedStatus(for path: String) -> Int? {
        state.withLock { state in
            guard let index = state.scriptedStatuses.firstIndex(where: { $0.path == path }) else { return nil }
            return state.scriptedStatuses.remove(at: index).status
        }
    }

    func json(_ status: Int, _ value: JSONValue) -> HTTPServerReply {
        .response(
            HTTPResponse(
                status: status,
                headers: HTTPHeaders([("Content-Type", "application/json")]),
                body: value.serialized
            )
        )
    }

    func text(_ status: Int, _ body: String) -> HTTPServerReply {
        .response(
            HTTPResponse(
                status: status,
                headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                body: Array(body.utf8)
            )
        )
    }

    private func systemStats() -> JSONValue {
        .object([
            "system": .object([
                "os": .string("posix"), "comfyui_version": .string("0.3.64"), "python_version": .string("3.12.3"),
                "ram_total": .integer(64 << 30), "ram_free": .integer(48 << 30), "embedded_python": .bool(false),
            ]),
            "devices": .array([
                .object([
                    "name": .string("cuda:0 Fake GPU"), "type": .string("cuda"), "index": .integer(0),
                    "vram_total": .integer(24 << 30), "vram_free": .integer(20 << 30),
                ])
            ]),
        ])
    }

    private func queueListing() -> JSONValue {
        state.withLock { state in
            func item(_ prompt: QueuedPrompt) -> JSONValue {
                .array([
                    .integer(Int64(prompt.number)), .string(prompt.promptID), prompt.graph, .object([:]), .array([]),
                ])
            }
            return .object([
                "queue_running": .array(state.running.values.map(item)),
                "queue_pending": .array(state.pending.map(item)),
            ])
        }
    }

    private func postQueue(_ request: HTTPServerRequest) -> HTTPServerReply {
        let body = JSONValue.parse(request.body) ?? .object([:])
        let deleted = Set((body["delete"]?.arrayValue ?? []).compactMap(\.stringValue))
        state.withLock { state in
            if body["clear"]?.boolValue == true { state.pending = [] }
            state.pending.removeAll { deleted.contains($0.promptID) }
        }
        return .response(HTTPResponse(status: 200))
    }

    private func postInterrupt(_ request: HTTPServerRequest) -> HTTPServerReply {
        let target = JSONValue.parse(request.body)?["prompt_id"]?.stringValue
        state.withLock { state in
            for id in state.running.keys where target == nil || target == id { state.interrupted.insert(id) }
        }
        return .response(HTTPResponse(status: 200))
    }

    private func upload(_ request: HTTPServerRequest) -> HTTPServerReply {
        guard let parts = MultipartParser.parse(request.body, contentType: request.headers["Content-Type"] ?? ""),
            let file = parts.first(where: { $0.name == "image" }), let filename = file.filename, !filename.isEmpty
        else { return text(400, "400: Bad Request") }
        let field = { (name: String) in parts.first { $0.name == name }.map { String(decoding: $0.body, as: UTF8.self) }
        }
        let subfolder = field("subfolder") ?? ""
        let type = field("type") ?? "input"
        guard !subfolder.contains(".."), !subfolder.hasPrefix("/") else { return text(400, "400: Bad Request") }
        guard ["input", "temp", "output"].contains(type) else { return text(500, "500 Internal Server Error") }
        let overwrite = ["true", "1"].contains(field("overwrite") ?? "")

        let name = state.withLock { state in
            var name = filename
            var attempt = 1
            let (stem, ext) = splitExtension(filename)
            while !overwrite, let existing = state.inputs[join(subfolder, name)], existing != file.body {
                name = "\(stem) (\(attempt))\(ext)"
                attempt += 1
            }
            state.inputs[join(subfolder, name)] = file.body
            return name
        }
        return json(200, .object(["name": .string(name), "subfolder": .string(subfolder), "type": .string(type)]))
    }

    private func view(_ request: HTTPServerRequest) -> HTTPServerReply {
        let filename = request.query["filename"] ?? ""
        guard !filename.isEmpty, !filename.hasPrefix("/"), !filename.contains("..") else {
            return text(400, "400: Bad Request")
        }
        let subfolder = request.query["subfolder"] ?? ""
        guard !subfolder.contains("..") else { return text(403, "403: Forbidden") }
        let type = request.query["type"] ?? "output"
        let (bytes, delay) = state.withLock { state in
            let key = join(subfolder, filename)
            return (type == "input" ? state.inputs[key] : state.outputs[key], state.settings.viewChunkDelay)
        }
        guard let bytes else { return text(404, "404: Not Found") }
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "image/png")]), body: bytes)
        guard let delay else { return .response(response) }
        return .slowResponse(response, chunkSize: 16 << 10, delay: delay)
    }

    private func serveWebSocket(_ connection: WebSocketConnection, clientID: String?) {
        let id = clientID ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let generation = state.withLock { state in
            state.sockets[id] = connection
            state.connectedClientIDs.append(id)
            return state.generation
        }
        let status: JSONValue = .object([
            "type": .string("status"),
            "data": .object([
                "status": .object(["exec_info": .object(["queue_remaining": .integer(Int64(queueLength))])]),
                "sid": .string(id),
            ]),
        ])
        try? connection.send(.text(status.serializedString), deadline: .now + .seconds(5))
        while state.withLock({ $0.generation == generation }) {
            do {
                guard try connection.receive(deadline: .now + .milliseconds(500)) != nil else { break }
            } catch .socket(.timedOut) {
                continue
            } catch {
                break
            }
        }
        state.withLock { state in
            if state.sockets[id] === connection { state.sockets[id] = nil }
        }
    }

    /// Sends a JSON event to the socket of `clientID`; prompts without a client id get no events,
    /// as in the real server.
    func sendEvent(_ type: String, _ data: JSONValue, to clientID: String?) {
        guard let clientID else { return }
        let connection = state.withLock { $0.settings.sendsEvents ? $0.sockets[clientID] : nil }
        let message: JSONValue = .object(["type": .string(type), "data": data])
        try? connection?.send(.text(message.serializedString), deadline: .now + .seconds(5))
    }
}

func join(_ subfolder: String, _ name: String) -> String {
    subfolder.isEmpty ? name : "\(subfolder)/\(name)"
}

func splitExtension(_ filename: String) -> (stem: String, ext: String) {
    guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return (filename, "") }
    return (String(filename[..<dot]), String(filename[dot...]))
}
