internal import COpenSSL

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension TLSStream {
    /// Sends all of `bytes` before `deadline`.
    package func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            var written = 0
            ERR_clear_error()
            let result = withSIGPIPEBlocked {
                bytes.withUnsafeBytes { buffer in
                    // The buffer is not empty here (offset < count), so its base address exists.
                    SSL_write_ex(connection, buffer.baseAddress! + offset, buffer.count - offset, &written)
                }
            }
            if result == 1 {
                offset += written
                continue
            }
            try waitOrThrow(SSL_get_error(connection, result), operation: "sending", deadline: deadline)
        }
    }

    /// Receives up to `maximum` bytes, or an empty array when the peer has closed the connection.
    package func receive(maximum: Int = 65536, deadline: ContinuousClock.Instant) throws(SocketError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            var count = 0
            ERR_clear_error()
            let result = buffer.withUnsafeMutableBytes { SSL_read_ex(connection, $0.baseAddress, maximum, &count) }
            if result == 1 {
                buffer.removeSubrange(count...)
                return buffer
            }
            let code = SSL_get_error(connection, result)
            // close_notify from the server: the orderly end of the stream.
            if code == SSL_ERROR_ZERO_RETURN { return [] }
            try waitOrThrow(code, operation: "receiving", deadline: deadline)
        }
    }

    /// Waits for the socket when OpenSSL needs it, and throws for every other `SSL_get_error` code.
    ///
    /// An EOF without close_notify is an error (OpenSSL 3 reports "unexpected eof while reading"),
    /// so a response body that ends at connection close cannot be silently truncated by an attacker.
    private func waitOrThrow(_ code: Int32, operation: String, deadline: ContinuousClock.Instant) throws(SocketError) {
        switch code {
        case SSL_ERROR_WANT_READ:
            try socket.wait(for: Int16(POLLIN), until: deadline, operation: operation)
        case SSL_ERROR_WANT_WRITE:
            try socket.wait(for: Int16(POLLOUT), until: deadline, operation: operation)
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
            let number = Glibc.errno
            if number == EPIPE || number == ECONNRESET || number == 0 { throw .closed }
            throw .tls(.transferFailed(host: host, message: String(cString: strerror(number))))
        default:
            throw .tls(.transferFailed(host: host, message: TLSContext.takeErrorMessage()))
        }
    }
}

/// Runs `body` with SIGPIPE blocked on this thread and discards a SIGPIPE that `body` raised.
///
/// OpenSSL writes to the socket with `write`, which raises SIGPIPE on a closed connection and would
/// end the process, since the daemon keeps the default SIGPIPE action. `Socket.send` avoids this
/// with `MSG_NOSIGNAL`, which OpenSSL's socket BIO does not pass.
private func withSIGPIPEBlocked<Result>(_ body: () -> Result) -> Result {
    var pipeOnly = sigset_t()
    sigemptyset(&pipeOnly)
    sigaddset(&pipeOnly, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
    var pendingBefore = sigset_t()
    sigpending(&pendingBefore)
    let wasPending = sigismember(&pendingBefore, SIGPIPE) == 1

    let result = body()

    var pendingAfter = sigset_t()
    sigpending(&pendingAfter)
    if !wasPending && sigismember(&pendingAfter, SIGPIPE) == 1 {
        var noWait = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&pipeOnly, nil, &noWait)
    }
    pthread_sigmask(SIG_SETMASK, &previous, nil)
    return result
}
