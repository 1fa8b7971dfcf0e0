internal import COpenSSL

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A TLS client connection over a connected, non-blocking `Socket`.
///
/// The handshake verifies the server's certificate chain against the system store (plus the
/// configuration's CA file) and checks that the certificate names `host`: a DNS name through
/// `SSL_set1_host`, an IP literal through the IP address entries. SNI is sent for DNS names only,
/// because RFC 6066 forbids IP literals there. Use one stream from one thread at a time.
package final class TLSStream: ByteStream {
    package let socket: Socket
    let host: String
    /// The `SSL *` connection, freed in `deinit`.
    let connection: OpaquePointer
    // The context must outlive the connection that refers to it.
    private let context: TLSContext

    private init(socket: Socket, host: String, connection: OpaquePointer, context: TLSContext) {
        self.socket = socket
        self.host = host
        self.connection = connection
        self.context = context
    }

    deinit {
        SSL_free(connection)
    }

    /// Performs the TLS handshake with `host` on `socket` before `deadline`.
    package static func connect(
        socket: Socket,
        host: String,
        configuration: TLSConfiguration,
        deadline: ContinuousClock.Instant
    ) throws(SocketError) -> TLSStream {
        let stream: TLSStream
        do throws(TLSError) {
            let context = try TLSContext.shared(for: configuration)
            guard let connection = SSL_new(context.context) else {
                throw TLSError.setupFailed(message: "SSL_new: \(TLSContext.takeErrorMessage())")
            }
            stream = TLSStream(socket: socket, host: host, connection: connection, context: context)
            try stream.configurePeer()
        } catch {
            throw .tls(error)
        }
        try stream.handshake(deadline: deadline)
        return stream
    }

    private func configurePeer() throws(TLSError) {
        guard SSL_set_fd(connection, socket.descriptor) == 1 else {
            throw .setupFailed(message: "SSL_set_fd: \(TLSContext.takeErrorMessage())")
        }
        if Self.isIPLiteral(host) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), host) == 1 else {
                throw .setupFailed(message: "X509_VERIFY_PARAM_set1_ip_asc('\(host)'): \(TLSContext.takeErrorMessage())")
            }
        } else {
            guard SSL_set1_host(connection, host) == 1, kontextd_SSL_set_tlsext_host_name(connection, host) == 1 else {
                throw .setupFailed(message: "setting the host name '\(host)': \(TLSContext.takeErrorMessage())")
            }
        }
    }

    private static func isIPLiteral(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
    }

    private func handshake(deadline: ContinuousClock.Instant) throws(SocketError) {
        while true {
            ERR_clear_error()
            let result = SSL_connect(connection)
            if result == 1 { return }
            let code = SSL_get_error(connection, result)
            switch code {
            case SSL_ERROR_WANT_READ:
                try socket.wait(for: Int16(POLLIN), until: deadline, operation: "TLS handshake with \(host)")
            case SSL_ERROR_WANT_WRITE:
                try socket.wait(for: Int16(POLLOUT), until: deadline, operation: "TLS handshake with \(host)")
            default:
                throw .tls(handshakeError(code))
            }
        }
    }

    /// Classifies a failed handshake: the verification result first, then OpenSSL's error queue.
    private func handshakeError(_ code: Int32) -> TLSError {
        let verification = Int32(truncatingIfNeeded: SSL_get_verify_result(connection))
        if verification == X509_V_ERR_HOSTNAME_MISMATCH || verification == X509_V_ERR_IP_ADDRESS_MISMATCH {
            return .hostMismatch(host: host)
        }
        if verification != X509_V_OK {
            return .certificateInvalid(host: host, reason: String(cString: X509_verify_cert_error_string(Int(verification))))
        }
        if code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 {
            return .handshakeFailed(host: host, message: "the server closed the connection")
        }
        return .handshakeFailed(host: host, message: TLSContext.takeErrorMessage())
    }
}
