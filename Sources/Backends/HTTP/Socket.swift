#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// An error from a socket operation.
package enum SocketError: Error, Equatable, CustomStringConvertible {
    case resolveFailed(host: String, message: String)
    case connectionRefused(address: String)
    case connectFailed(address: String, message: String)
    case timedOut(operation: String)
    /// The peer closed the connection (or reset it) before the operation completed.
    case closed
    case systemCall(name: String, message: String)
    case tls(TLSError)

    package var description: String {
        switch self {
        case .resolveFailed(let host, let message): "cannot resolve host '\(host)': \(message)"
        case .connectionRefused(let address): "connection refused by \(address)"
        case .connectFailed(let address, let message): "connecting to \(address) failed: \(message)"
        case .timedOut(let operation): "\(operation) timed out"
        case .closed: "the connection was closed by the peer"
        case .systemCall(let name, let message): "\(name) failed: \(message)"
        case .tls(let error): error.description
        }
    }

    static func errno(_ name: String) -> SocketError {
        .systemCall(name: name, message: String(cString: strerror(Glibc.errno)))
    }
}

/// One connected or listening TCP socket. The descriptor is closed when the last reference goes.
///
/// Reads and writes wait with `poll` against a deadline, so every call ends by its deadline even when
/// the peer stops sending. `shutdown()` wakes a thread blocked in `poll` on this socket.
package final class Socket: Sendable, ByteStream {
    package let descriptor: Int32

    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Connects to `host:port` (IPv4 or IPv6, resolved with `getaddrinfo`) before `deadline`.
    package static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(SocketError)
        -> Socket
    {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .resolveFailed(host: host, message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }

        let address = "\(host):\(port)"
        var lastError = SocketError.connectionRefused(address: address)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            do {
                return try connect(info.pointee, address: address, deadline: deadline)
            } catch {
                lastError = error
            }
            entry = info.pointee.ai_next
        }
        throw lastError
    }

    private static func connect(_ info: addrinfo, address: String, deadline: ContinuousClock.Instant)
        throws(SocketError) -> Socket
    {
        let descriptor = Glibc.socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
        guard descriptor >= 0 else { throw .errno("socket") }
        let socket = Socket(descriptor: descriptor)
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))

        if Glibc.connect(descriptor, info.ai_addr, info.ai_addrlen) != 0 {
            guard Glibc.errno == EINPROGRESS else { throw connectError(Glibc.errno, address: address) }
            try socket.wait(for: Int16(POLLOUT), until: deadline, operation: "connecting to \(address)")
            var result: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &result, &length)
            guard result == 0 else { throw connectError(result, address: address) }
        }
        return socket
    }

    private static func connectError(_ code: Int32, address: String) -> SocketError {
        if code == ECONNREFUSED { return .connectionRefused(address: address) }
        return .connectFailed(address: address, message: String(cString: strerror(code)))
    }

    /// Waits until the socket is ready for `events`, or throws `timedOut` at `deadline`.
    package func wait(for events: Int16, until deadline: ContinuousClock.Instant, operation: String) throws(SocketError)
    {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timedOut(operation: operation) }
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
                    + 1
            )
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && Glibc.errno != EINTR { throw .errno("poll") }
        }
    }

    /// Sends all of `bytes` before `deadline`.
    package func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            // The buffer is not empty here (offset < count), so its base address exists.
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = Glibc.errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR {
                try wait(for: Int16(POLLOUT), until: deadline, operation: "sending")
                continue
            }
            if code == EPIPE || code == ECONNRESET { throw .closed }
            throw .errno("send")
        }
    }

    /// Receives up to `maximum` bytes, or an empty array when the peer has closed the connection.
    package func receive(maximum: Int = 65536, deadline: ContinuousClock.Instant) throws(SocketError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, maximum, 0) }
            if count >= 0 {
                buffer.removeSubrange(count...)
                return buffer
            }
            let code = Glibc.errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR {
                try wait(for: Int16(POLLIN), until: deadline, operation: "receiving")
                continue
            }
            if code == ECONNRESET { return [] }
            throw .errno("recv")
        }
    }

    /// Shuts down both directions, which wakes a thread waiting on this socket with the connection closed.
    package func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }
}
