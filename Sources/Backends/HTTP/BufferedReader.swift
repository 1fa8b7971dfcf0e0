/// A connected byte stream: a plain `Socket`, or a `TLSStream` over one.
package protocol ByteStream: AnyObject {
    /// The underlying TCP socket, for waiting and shutting down.
    var socket: Socket { get }
    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(SocketError)
    func receive(maximum: Int, deadline: ContinuousClock.Instant) throws(SocketError) -> [UInt8]
}

extension Socket {
    package var socket: Socket { self }
}

/// Reads lines and exact byte counts from a byte stream, keeping whatever arrived beyond the request.
package final class BufferedReader {
    package let stream: any ByteStream
    private var buffer: [UInt8] = []
    private var start = 0

    package init(socket: Socket) {
        self.stream = socket
    }

    package init(stream: any ByteStream) {
        self.stream = stream
    }

    package var socket: Socket { stream.socket }

    /// The bytes received but not consumed yet.
    package var pending: ArraySlice<UInt8> { buffer[start...] }

    private func fill(deadline: ContinuousClock.Instant) throws(SocketError) -> Bool {
        if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = try stream.receive(maximum: 65536, deadline: deadline)
        if chunk.isEmpty { return false }
        buffer.append(contentsOf: chunk)
        return true
    }

    /// Reads one line ending in CRLF (or LF), without the line ending.
    ///
    /// Throws `closed` when the connection ends first, and `systemCall` when the line grows past
    /// `maximumLength` bytes, so a peer cannot make the reader buffer without bound.
    package func readLine(deadline: ContinuousClock.Instant, maximumLength: Int = 65536) throws(SocketError) -> String {
        var searchFrom = start
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard buffer.count - start <= maximumLength else {
                throw .systemCall(name: "readLine", message: "line longer than \(maximumLength) bytes")
            }
            searchFrom = buffer.count
            guard try fill(deadline: deadline) else { throw .closed }
        }
    }

    /// Reads exactly `count` bytes.
    package func read(count: Int, deadline: ContinuousClock.Instant) throws(SocketError) -> [UInt8] {
        while buffer.count - start < count {
            guard try fill(deadline: deadline) else { throw .closed }
        }
        let bytes = Array(buffer[start..<(start + count)])
        start += count
        return bytes
    }

    /// Reads until the peer closes the connection, failing once more than `maximum` bytes arrive.
    package func readToEnd(maximum: Int, deadline: ContinuousClock.Instant) throws(SocketError) -> [UInt8] {
        while try fill(deadline: deadline) {
            guard buffer.count - start <= maximum else {
                throw .systemCall(name: "recv", message: "body longer than \(maximum) bytes")
            }
        }
        let bytes = Array(buffer[start...])
        start = buffer.count
        return bytes
    }
}
