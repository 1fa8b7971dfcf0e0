import Foundation

/// A server address: host name or IP literal, and TCP port.
public struct HTTPEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// One HTTP request: method, target (path and query, already percent-encoded), headers and body.
package struct HTTPClientRequest: Sendable {
    package var method: String
    package var target: String
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// A small HTTP/1.1 client: one connection per request (`Connection: close`), optional TLS, no redirects.
///
/// ComfyUI servers sit on a private network without TLS; hosted APIs pass a `TLSConfiguration`. A fresh connection per request makes the
/// connection the unit of failure, which keeps retries simple. Blocking socket work runs on its
/// own thread, never on the Swift cooperative pool, because that pool has one thread per core.
package enum HTTPClient {
    /// Sends `request` and reads the whole response, all within `timeout`. With `tls`, the request
    /// goes over TLS, and the server's certificate must be valid for `endpoint.host`.
    package static func send(
        _ request: HTTPClientRequest,
        to endpoint: HTTPEndpoint,
        tls: TLSConfiguration? = nil,
        timeout: Duration,
        maximumResponseSize: Int = 512 << 20
    ) async throws(HTTPWireError) -> HTTPResponse {
        try await runOnThread { () throws(HTTPWireError) in
            try sendBlocking(request, to: endpoint, tls: tls, timeout: timeout, maximumResponseSize: maximumResponseSize)
        }
    }

    /// The blocking form of `send`, for code that already runs on its own thread.
    package static func sendBlocking(
        _ request: HTTPClientRequest,
        to endpoint: HTTPEndpoint,
        tls: TLSConfiguration? = nil,
        timeout: Duration,
        maximumResponseSize: Int = 512 << 20
    ) throws(HTTPWireError) -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        let socket: any ByteStream
        do {
            let plain = try Socket.connect(host: endpoint.host, port: endpoint.port, deadline: deadline)
            if let tls {
                socket = try TLSStream.connect(socket: plain, host: endpoint.host, configuration: tls, deadline: deadline)
            } else {
                socket = plain
            }
        } catch {
            throw .socket(error)
        }

        var headers = request.headers
        // A request through a forward proxy carries the origin's Host, so only a missing one is added.
        if headers["Host"] == nil {
            headers.fields.insert(("Host", endpoint.description), at: 0)
        }
        headers.add("Connection", "close")
        let message = HTTPWire.serialize(
            startLine: "\(request.method) \(request.target) HTTP/1.1",
            headers: headers,
            body: request.body
        )
        var sendError: SocketError?
        do {
            try socket.send(message, deadline: deadline)
        } catch .closed {
            // A server may respond early (413 for an oversized body) and close before reading the
            // whole body; its response can still be waiting in the receive buffer.
            sendError = .closed
        } catch {
            throw .socket(error)
        }

        do {
            return try readResponse(
                from: socket,
                method: request.method,
                maximumSize: maximumResponseSize,
                deadline: deadline
            )
        } catch {
            if let sendError { throw .socket(sendError) }
            throw error
        }
    }

    private static func readResponse(
        from socket: any ByteStream,
        method: String,
        maximumSize: Int,
        deadline: ContinuousClock.Instant
    ) throws(HTTPWireError) -> HTTPResponse {
        let reader = BufferedReader(stream: socket)
        let head = try HTTPWire.readHead(from: reader, deadline: deadline)
        let parts = head.startLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformed("status line '\(head.startLine)'")
        }
        let hasBody = method != "HEAD" && status != 204 && status != 304
        let body =
            hasBody
            ? try HTTPWire.readBody(
                headers: head.headers,
                from: reader,
                isResponse: true,
                maximumSize: maximumSize,
                deadline: deadline
            )
            : []
        return HTTPResponse(status: status, headers: head.headers, body: body)
    }
}

/// Runs blocking `body` on a new thread and returns its result to the awaiting task.
package func runOnThread<Value: Sendable, Failure: Error>(
    _ body: @escaping @Sendable () throws(Failure) -> Value
) async throws(Failure) -> Value {
    let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: Result { () throws(Failure) in try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    return try result.get()
}
