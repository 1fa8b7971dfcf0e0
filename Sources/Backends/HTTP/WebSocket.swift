import Foundation
import Synchronization

/// One complete WebSocket message (fragments already joined).
public enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// RFC 6455 framing, shared by the client and the loopback server.
package enum WebSocketWire {
    package enum Opcode: UInt8 {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10
    }

    /// The GUID that RFC 6455 section 1.3 appends to the key before hashing.
    static let handshakeGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Computes the `Sec-WebSocket-Accept` value for the client's `key`.
    package static func acceptValue(forKey key: String) -> String {
        Data(SHA1.hash(Array((key + handshakeGUID).utf8))).base64EncodedString()
    }

    /// Makes a fresh random `Sec-WebSocket-Key`.
    package static func makeKey() -> String {
        Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Encodes one final frame. Clients must mask their frames and servers must not.
    package static func encode(opcode: Opcode, payload: [UInt8], masked: Bool) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode.rawValue]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case 0..<126:
            frame.append(maskBit | UInt8(payload.count))
        case 126...0xFFFF:
            frame.append(maskBit | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            frame.append(maskBit | 127)
            frame += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(56 - 8 * $0)) }
        }
        guard masked else { return frame + payload }
        let key = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += key
        frame += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return frame
    }

    /// Reads one frame and returns its FIN bit, opcode and unmasked payload.
    package static func readFrame(
        from reader: BufferedReader,
        maximumPayload: Int,
        deadline: ContinuousClock.Instant
    ) throws(HTTPWireError) -> (isFinal: Bool, opcode: Opcode, payload: [UInt8]) {
        let head = try socketCall { () throws(SocketError) in try reader.read(count: 2, deadline: deadline) }
        guard let opcode = Opcode(rawValue: head[0] & 0x0F) else {
            throw .malformed("WebSocket opcode \(head[0] & 0x0F)")
        }
        var length = UInt64(head[1] & 0x7F)
        if length >= 126 {
            let extended = try socketCall { () throws(SocketError) in
                try reader.read(count: length == 126 ? 2 : 8, deadline: deadline)
            }
            length = extended.reduce(0) { $0 << 8 | UInt64($1) }
        }
        guard length <= UInt64(maximumPayload) else { throw .bodyTooLarge(limit: maximumPayload) }
        let isMasked = head[1] & 0x80 != 0
        let key =
            isMasked ? try socketCall { () throws(SocketError) in try reader.read(count: 4, deadline: deadline) } : []
        var payload = try socketCall { () throws(SocketError) in try reader.read(count: Int(length), deadline: deadline)
        }
        if isMasked {
            for index in payload.indices { payload[index] ^= key[index % 4] }
        }
        return (head[0] & 0x80 != 0, opcode, payload)
    }
}

private func socketCall<T>(_ body: () throws(SocketError) -> T) throws(HTTPWireError) -> T {
    do {
        return try body()
    } catch {
        throw .socket(error)
    }
}

/// An open WebSocket over one socket, used by the client and by the loopback server.
///
/// One thread receives, because the reader is not shared. Any thread may send, because sends are
/// serialised by a lock so frames never interleave.
package final class WebSocketConnection: @unchecked Sendable {
    // @unchecked: `reader` is used only by the single receiving thread (see above), and
    // `sendLock` guards every write to the socket.
    private let reader: BufferedReader
    private let sendLock = Mutex(())
    private let masksFrames: Bool
    package let maximumMessageSize: Int

    package init(reader: BufferedReader, isClient: Bool, maximumMessageSize: Int = 64 << 20) {
        self.reader = reader
        self.masksFrames = isClient
        self.maximumMessageSize = maximumMessageSize
    }

    package var socket: Socket { reader.socket }

    /// Opens a client connection: the HTTP upgrade handshake on `target` (path and query).
    package static func connect(
        to endpoint: HTTPEndpoint,
        target: String,
        timeout: Duration
    ) throws(HTTPWireError) -> WebSocketConnection {
        let deadline = ContinuousClock.now + timeout
        let key = WebSocketWire.makeKey()
        let reader: BufferedReader
        do {
            let socket = try Socket.connect(host: endpoint.host, port: endpoint.port, deadline: deadline)
            let headers = HTTPHeaders([
                ("Host", endpoint.description), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
            ])
            let request = HTTPWire.serialize(startLine: "GET \(target) HTTP/1.1", headers: headers, body: [])
            try socket.send(request, deadline: deadline)
            reader = BufferedReader(socket: socket)
        } catch {
            throw .socket(error)
        }

        let head = try HTTPWire.readHead(from: reader, deadline: deadline)
        guard head.startLine.split(separator: " ").dropFirst().first == "101" else {
            throw .malformed("WebSocket upgrade failed with status line '\(head.startLine)'")
        }
        guard head.headers["Sec-WebSocket-Accept"] == WebSocketWire.acceptValue(forKey: key) else {
            throw .malformed("WebSocket upgrade has a wrong Sec-WebSocket-Accept value")
        }
        return WebSocketConnection(reader: reader, isClient: true)
    }

    /// Sends one message as a single frame.
    package func send(_ message: WebSocketMessage, deadline: ContinuousClock.Instant) throws(SocketError) {
        switch message {
        case .text(let text): try sendFrame(.text, payload: Array(text.utf8), deadline: deadline)
        case .binary(let bytes): try sendFrame(.binary, payload: bytes, deadline: deadline)
        }
    }

    private func sendFrame(_ opcode: WebSocketWire.Opcode, payload: [UInt8], deadline: ContinuousClock.Instant)
        throws(SocketError)
    {
        let frame = WebSocketWire.encode(opcode: opcode, payload: payload, masked: masksFrames)
        try sendLock.withLock { _ throws(SocketError) in try socket.send(frame, deadline: deadline) }
    }

    /// Receives the next message and replies to pings on the way. Returns nil once the peer closes.
    package func receive(deadline: ContinuousClock.Instant) throws(HTTPWireError) -> WebSocketMessage? {
        var fragments: [UInt8] = []
        var messageOpcode = WebSocketWire.Opcode.text
        while true {
            let frame: (isFinal: Bool, opcode: WebSocketWire.Opcode, payload: [UInt8])
            do {
                frame = try WebSocketWire.readFrame(
                    from: reader,
                    maximumPayload: maximumMessageSize,
                    deadline: deadline
                )
            } catch .socket(.closed) {
                return nil
            }
            switch frame.opcode {
            case .ping:
                try? sendFrame(.pong, payload: frame.payload, deadline: deadline)
                continue
            case .pong:
                continue
            case .close:
                try? sendFrame(.close, payload: Array(frame.payload.prefix(2)), deadline: deadline)
                return nil
            case .text, .binary:
                messageOpcode = frame.opcode
                fragments = frame.payload
            case .continuation:
                fragments += frame.payload
            }
            guard fragments.count <= maximumMessageSize else { throw .bodyTooLarge(limit: maximumMessageSize) }
            guard frame.isFinal else { continue }
            return messageOpcode == .text ? .text(String(decoding: fragments, as: UTF8.self)) : .binary(fragments)
        }
    }

    /// Sends a close frame (status 1000) and shuts the socket down.
    package func close() {
        try? sendFrame(.close, payload: [0x03, 0xE8], deadline: .now + .seconds(1))
        socket.shutdown()
    }
}
