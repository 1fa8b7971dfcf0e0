/// Sends one request to a `HostedURL`, and distinguishes "never sent" from "sent, but no response".
enum HostedTransport {
    /// Sends the request to `url`. An `https://` URL goes over TLS, verified against the system CA
    /// store plus `caFile`. With a `proxy`, it goes to the proxy instead, with the absolute URL as its
    /// target, and the proxy fetches it over TLS on the daemon's behalf.
    static func send(
        method: String,
        url: HostedURL,
        headers: HTTPHeaders,
        body: [UInt8] = [],
        timeout: Double,
        proxy: HostedURL? = nil,
        caFile: String? = nil,
        maximumResponseSize: Int = 256 << 20
    ) async throws(HostedTransportError) -> HTTPResponse {
        var request = HTTPClientRequest(method: method, target: url.target, headers: headers, body: body)
        var endpoint = url.endpoint
        var tls: TLSConfiguration?
        if url.scheme == "https", let proxy {
            request.target = url.description
            request.headers.fields.insert(("Host", url.authority), at: 0)
            endpoint = proxy.endpoint
        } else if url.scheme == "https" {
            tls = TLSConfiguration(caFile: caFile)
        }
        do {
            return try await HTTPClient.send(
                request,
                to: endpoint,
                tls: tls,
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
        case .timedOut(let operation): operation.hasPrefix("connecting to") || operation.hasPrefix("TLS handshake")
        // Every TLS error but a transfer failure happens before the request is written.
        case .tls(let tlsError):
            if case .transferFailed = tlsError { false } else { true }
        default: false
        }
    }

    /// The delay that a 429 or 503 requests: `Retry-After` in seconds, or `retry_after` in a JSON body.
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
