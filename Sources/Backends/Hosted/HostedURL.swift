import Foundation

/// An absolute `http://` or `https://` URL split into the parts the HTTP client needs.
public struct HostedURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var endpoint: HTTPEndpoint
    /// Path and query, already percent-encoded, starting with `/`.
    public var target: String

    public init(parsing text: String) throws(HostedConfigurationError) {
        guard let separator = text.range(of: "://") else {
            throw .invalidURL(text, reason: "expected an absolute URL such as 'http://127.0.0.1:8080/v1'")
        }
        scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .invalidURL(text, reason: "the scheme must be http or https")
        }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        guard !authority.isEmpty, !authority.contains("@") else {
            throw .invalidURL(text, reason: "expected a host name, without user information")
        }
        endpoint = try Self.endpoint(authority, defaultPort: scheme == "https" ? 443 : 80, url: text)
        let path = String(rest[authorityEnd...])
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : path)
    }

    private static func endpoint(_ authority: String, defaultPort: Int, url: String) throws(HostedConfigurationError) -> HTTPEndpoint {
        var host = authority
        var port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "unclosed '[' in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else {
                    throw .invalidURL(url, reason: "invalid port '\(after.dropFirst())'")
                }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                throw .invalidURL(url, reason: "invalid port '\(authority[authority.index(after: colon)...])'")
            }
            port = value
        }
        return HTTPEndpoint(host: host, port: port)
    }

    /// Resolves `reference` against this URL: an absolute URL as is, a path against the scheme and host.
    public func resolving(_ reference: String) throws(HostedConfigurationError) -> HostedURL {
        if reference.contains("://") { return try HostedURL(parsing: reference) }
        var copy = self
        if reference.hasPrefix("/") {
            let base = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            // A base URL with a path prefix (a gateway such as http://host/bfl) keeps that prefix.
            let prefix = base.hasSuffix("/") ? String(base.dropLast()) : base
            copy.target = prefix + reference
        } else {
            throw .invalidURL(reference, reason: "expected an absolute URL or a path starting with '/'")
        }
        return copy
    }

    /// The URL with `path` appended to this URL's path (used for the profile's submit and poll paths).
    public func appending(path: String) throws(HostedConfigurationError) -> HostedURL {
        try resolving(path.hasPrefix("/") ? path : "/" + path)
    }

    /// Scheme, host and path without the query, which may carry a signature (never log the query).
    public var redactedDescription: String {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        return "\(scheme)://\(authority)\(path)"
    }

    public var description: String { "\(scheme)://\(authority)\(target)" }

    /// `host:port`, without the port when it is the scheme's default.
    var authority: String {
        let isDefault = (scheme == "http" && endpoint.port == 80) || (scheme == "https" && endpoint.port == 443)
        guard isDefault else { return endpoint.description }
        return endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
    }
}
