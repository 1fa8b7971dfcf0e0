public import Backends
import Foundation
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One request as the loopback server received it.
public struct HTTPServerRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded.
    public var path: String
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// The reply a route handler returns for one request.
package enum HTTPServerReply: Sendable {
    case response(HTTPResponse)
    /// Sends the body in pieces of `chunkSize` bytes with `delay` before each, like a slow link.
    case slowResponse(HTTPResponse, chunkSize: Int, delay: Duration)
    /// Completes the WebSocket handshake, then runs the handler on the connection's thread.
    case webSocket(@Sendable (WebSocketConnection) -> Void)
    /// Closes the connection without any response, as a crashing server does.
    case dropConnection
}

/// An error from starting the loopback server.
public enum LoopbackServerError: Error, CustomStringConvertible {
    case bindFailed(port: Int, message: String)

    public var description: String {
        switch self {
        case .bindFailed(let port, let message): "binding 127.0.0.1:\(port) failed: \(message)"
        }
    }
}

/// A small HTTP/1.1 and WebSocket server on 127.0.0.1 for tests and benchmarks.
///
/// Each connection gets its own thread and carries one request (`Connection: close`), which is
/// how the daemon's client talks. Request bodies above `maximumBodySize` get 413 with aiohttp's
/// plain-text message, as a ComfyUI server started with `--max-upload-size` does. `stop()` closes
/// the listener and every open connection, which tests use to imitate a crash or restart.
public final class LoopbackHTTPServer: Sendable {
    private struct State {
        var listener: Socket?
        var connections: [ObjectIdentifier: Socket] = [:]
        var port = 0
        var generation = 0
    }

    private let state = Mutex(State())
    private let bodyLimit: Mutex<Int>
    private let handler: @Sendable (HTTPServerRequest) -> HTTPServerReply

    package init(maximumBodySize: Int = 100 << 20, handler: @escaping @Sendable (HTTPServerRequest) -> HTTPServerReply)
    {
        self.bodyLimit = Mutex(maximumBodySize)
        self.handler = handler
    }

    /// The bound port; 0 before the first `start()`.
    public var port: Int { state.withLock { $0.port } }

    public var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: port) }

    public var maximumBodySize: Int {
        get { bodyLimit.withLock { $0 } }
        set { bodyLimit.withLock { $0 = newValue } }
    }

    /// Starts listening: on a free port the first time, then on the same port again after `stop()`.
    public func start() throws(LoopbackServerError) {
        let requestedPort = port
        let listener = try Self.listen(port: requestedPort)
        let generation = state.withLock { state in
            state.listener = listener
            state.port = Self.boundPort(of: listener)
            state.generation += 1
            return state.generation
        }
        let thread = Thread { [self] in acceptLoop(listener, generation: generation) }
        thread.start()
    }

    /// Closes the listener and every open connection; later connections are refused until `start()`.
    public func stop() {
        let sockets = state.withLock { state in
            let sockets = Array(state.connections.values) + (state.listener.map { [$0] } ?? [])
            state.listener = nil
            state.connections = [:]
            state.generation += 1
            return sockets
        }
        for socket in sockets { socket.shutdown() }
    }

    /// Closes every open connection (WebSockets included) but keeps listening.
    public func closeConnections() {
        let sockets = state.withLock { state in
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        for socket in sockets { socket.shutdown() }
    }

    private static func listen(port: Int) throws(LoopbackServerError) -> Socket {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw .bindFailed(port: port, message: String(cString: strerror(errno))) }
        let socket = Socket(descriptor: descriptor)
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(descriptor, 128) == 0 else {
            throw .bindFailed(port: port, message: String(cString: strerror(errno)))
        }
        return socket
    }

    private static func boundPort(of socket: Socket) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private func isCurrent(_ generation: Int) -> Bool {
        state.withLock { $0.generation == generation }
    }

    private func acceptLoop(_ listener: Socket, generation: Int) {
        while isCurrent(generation) {
            do {
                try listener.wait(for: Int16(POLLIN), until: .now + .milliseconds(200), operation: "accept")
            } catch {
                continue
            }
            let descriptor = accept(listener.descriptor, nil, nil)
            guard descriptor >= 0 else { continue }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            let connection = Socket(descriptor: descriptor)
            var noDelay: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let registered = state.withLock { state in
                guard state.generation == generation else { return false }
                state.connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard registered else { return }
            let thread = Thread { [self] in serve(connection) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func serve(_ connection: Socket) {
        defer {
            _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
            connection.shutdown()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        let reader = BufferedReader(socket: connection)
        guard let request = try? readRequest(from: reader, deadline: deadline) else { return }
        switch request {
        case .rejected(let response):
            try? connection.send(encode(response), deadline: deadline)
        case .accepted(let request):
            reply(to: request, with: handler(request), reader: reader, deadline: deadline)
        }
    }

    private enum ReadOutcome {
        case accepted(HTTPServerRequest)
        case rejected(HTTPResponse)
    }

    private func readRequest(from reader: BufferedReader, deadline: ContinuousClock.Instant) throws -> ReadOutcome {
        let head = try HTTPWire.readHead(from: reader, deadline: deadline)
        let parts = head.startLine.split(separator: " ")
        guard parts.count == 3 else { throw HTTPWireError.malformed("request line '\(head.startLine)'") }

        let limit = maximumBodySize
        let declared = Int(head.headers["Content-Length"] ?? "0") ?? 0
        if declared > limit {
            // Drain the body so the client is not reset while still sending, then send 413.
            _ = try? HTTPWire.readBody(
                headers: head.headers,
                from: reader,
                isResponse: false,
                maximumSize: declared,
                deadline: deadline
            )
            let text = "Maximum request body size \(limit) exceeded, actual body size \(declared)"
            return .rejected(
                HTTPResponse(
                    status: 413,
                    headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                    body: Array(text.utf8)
                )
            )
        }
        let body = try HTTPWire.readBody(
            headers: head.headers,
            from: reader,
            isResponse: false,
            maximumSize: limit,
            deadline: deadline
        )
        let (path, query) = Self.splitTarget(String(parts[1]))
        let request = HTTPServerRequest(
            method: String(parts[0]),
            path: path,
            query: query,
            headers: head.headers,
            body: body
        )
        return .accepted(request)
    }

    static func splitTarget(_ target: String) -> (path: String, query: [String: String]) {
        let pieces = target.split(separator: "?", maxSplits: 1)
        let path = (pieces.first.map(String.init) ?? "/").removingPercentEncoding ?? target
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                query[keyValue[0]] = keyValue.count == 2 ? keyValue[1] : ""
            }
        }
        return (path, query)
    }

    private func reply(
        to request: HTTPServerRequest,
        with reply: HTTPServerReply,
        reader: BufferedReader,
        deadline: ContinuousClock.Instant
    ) {
        let connection = reader.socket
        switch reply {
        case .response(let response):
            try? connection.send(encode(response), deadline: deadline)
        case .slowResponse(let response, let chunkSize, let delay):
            sendSlowly(response, chunkSize: chunkSize, delay: delay, on: connection)
        case .webSocket(let session):
            guard let key = request.headers["Sec-WebSocket-Key"] else {
                try? connection.send(
                    encode(HTTPResponse(status: 400, body: Array("missing Sec-WebSocket-Key".utf8))),
                    deadline: deadline
                )
                return
            }
            let headers = HTTPHeaders([
                ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", WebSocketWire.acceptValue(forKey: key)),
            ])
            let head = HTTPWire.serialize(startLine: "HTTP/1.1 101 Switching Protocols", headers: headers, body: [])
            guard (try? connection.send(head, deadline: deadline)) != nil else { return }
            session(WebSocketConnection(reader: reader, isClient: false))
        case .dropConnection:
            return
        }
    }

    private func sendSlowly(_ response: HTTPResponse, chunkSize: Int, delay: Duration, on connection: Socket) {
        var headers = response.headers
        headers.add("Content-Length", String(response.body.count))
        let head = HTTPWire.serialize(
            startLine: "HTTP/1.1 \(response.status) \(Self.reason(response.status))",
            headers: headers,
            body: []
        )
        guard (try? connection.send(head, deadline: .now + .seconds(5))) != nil else { return }
        var offset = 0
        while offset < response.body.count {
            Thread.sleep(
                forTimeInterval: Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds)
            )
            let end = min(offset + chunkSize, response.body.count)
            guard (try? connection.send(Array(response.body[offset..<end]), deadline: .now + .seconds(5))) != nil else {
                return
            }
            offset = end
        }
    }

    private func encode(_ response: HTTPResponse) -> [UInt8] {
        var headers = response.headers
        headers.add("Connection", "close")
        return HTTPWire.serialize(
            startLine: "HTTP/1.1 \(response.status) \(Self.reason(response.status))",
            headers: headers,
            body: response.body
        )
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 413: "Request Entity Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
