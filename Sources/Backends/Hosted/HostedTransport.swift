/// Sends one request to a `HostedURL` and tells apart "never sent" from "sent, no response".
enum HostedTransport {
    static func send(
        method: String,
        url: HostedURL,
        headers: HTTPHeaders,
        body: [UInt8] = [],
        timeout: Double,
        maximumResponseSize: Int = 256 << 20
    ) async throws(HostedTransportError) -> HTTPResponse {
        guard url.scheme == "http" else {
            throw .notSent("\(url.redactedDescription) uses https, which this build cannot speak; route it through a local TLS gateway")
        }
        let request = HTTPClientRequest(method: method, target: url.target, headers: headers, body: body)
        do {
            return try await HTTPClient.send(
                request,
                to: url.endpoint,
                timeout: .milliseconds(Int64(timeout * 1000)),
                maximumResponseSize: maximumResponseSize
            )
        } catch {
            if case .socket(let socketError) = error, isConnectPhase(socketError) {
                throw .notSent(socketError.description)
            }
            throw .lost(error.description)
        }
    }

    private static func isConnectPhase(_ error: SocketError) -> Bool {
        switch error {
        case .resolveFailed, .connectionRefused, .connectFailed: true
        case .timedOut(let operation): operation.hasPrefix("connecting to")
        default: false
        }
    }

    /// The delay a 429 or 503 asks for: `Retry-After` in seconds, or `retry_after` in a JSON body.
    static func retryAfter(_ response: HTTPResponse) -> Double? {
        if let header = response.headers["Retry-After"], let seconds = Double(header.trimmingSpaces), seconds >= 0 {
            return seconds
        }
        if let body = JSONValue.parse(response.body), let seconds = body["retry_after"]?.doubleValue, seconds >= 0 {
            return seconds
        }
        return nil
    }
}
