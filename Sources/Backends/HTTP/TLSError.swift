/// An error from setting up or using a TLS connection. Each message names the host or file and the fix.
package enum TLSError: Error, Equatable, CustomStringConvertible {
    /// Certificate verification failed for a reason other than the name, such as an unknown issuer.
    case certificateInvalid(host: String, reason: String)
    /// The certificate is valid but issued for other names than `host`.
    case hostMismatch(host: String)
    case handshakeFailed(host: String, message: String)
    case caFileInvalid(path: String, message: String)
    /// OpenSSL could not create a context or connection object (out of memory, broken installation).
    case setupFailed(message: String)
    /// Reading or writing application data failed after the handshake.
    case transferFailed(host: String, message: String)

    package var description: String {
        switch self {
        case .certificateInvalid(let host, let reason):
            "the TLS certificate of '\(host)' is invalid: \(reason); if the server uses a private CA, "
                + "set ca_file to that CA's PEM file"
        case .hostMismatch(let host):
            "the TLS certificate of '\(host)' was issued for other host names; connect with a name the "
                + "certificate lists"
        case .handshakeFailed(let host, let message):
            "the TLS handshake with '\(host)' failed: \(message); check that the port serves HTTPS with TLS 1.2 or later"
        case .caFileInvalid(let path, let message):
            "cannot load the CA file '\(path)': \(message); give a PEM file with one or more CA certificates"
        case .setupFailed(let message):
            "setting up TLS failed: \(message)"
        case .transferFailed(let host, let message):
            "the TLS connection to '\(host)' failed: \(message)"
        }
    }
}

/// The client-side TLS settings of one connection.
package struct TLSConfiguration: Sendable, Hashable {
    /// A PEM file with extra trusted CA certificates, added to the system store (for private CAs).
    package var caFile: String?

    package init(caFile: String? = nil) {
        self.caFile = caFile
    }
}
