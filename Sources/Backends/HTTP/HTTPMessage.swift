/// Header fields in arrival order. Lookups ignore case, as HTTP field names do.
public struct HTTPHeaders: Sendable, Equatable {
    public var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An error from reading or writing an HTTP message.
package enum HTTPWireError: Error, Equatable, CustomStringConvertible {
    case socket(SocketError)
    case malformed(String)
    case bodyTooLarge(limit: Int)

    package var description: String {
        switch self {
        case .socket(let error): error.description
        case .malformed(let detail): "malformed HTTP message: \(detail)"
        case .bodyTooLarge(let limit): "HTTP body larger than \(limit) bytes"
        }
    }
}

/// Reading and writing HTTP/1.1 message framing, shared by the client and the loopback server.
package enum HTTPWire {
    /// Reads a start line and a header block.
    package static func readHead(
        from reader: BufferedReader,
        deadline: ContinuousClock.Instant
    ) throws(HTTPWireError) -> (startLine: String, headers: HTTPHeaders) {
        let startLine = try socketCall { () throws(SocketError) in try reader.readLine(deadline: deadline) }
        var headers = HTTPHeaders()
        while true {
            let line = try socketCall { () throws(SocketError) in try reader.readLine(deadline: deadline) }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header line '\(line)'") }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingSpaces)
            guard headers.fields.count <= 200 else { throw .malformed("more than 200 header fields") }
        }
        return (startLine, headers)
    }

    /// Reads a body framed by `Content-Length` or chunked transfer coding, or (for a response
    /// without either) by the end of the connection.
    package static func readBody(
        headers: HTTPHeaders,
        from reader: BufferedReader,
        isResponse: Bool,
        maximumSize: Int,
        deadline: ContinuousClock.Instant
    ) throws(HTTPWireError) -> [UInt8] {
        if headers["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
            return try readChunked(from: reader, maximumSize: maximumSize, deadline: deadline)
        }
        if let lengthText = headers["Content-Length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw .malformed("invalid Content-Length '\(lengthText)'")
            }
            guard length <= maximumSize else { throw .bodyTooLarge(limit: maximumSize) }
            return try socketCall { () throws(SocketError) in try reader.read(count: length, deadline: deadline) }
        }
        guard isResponse else { return [] }
        return try socketCall { () throws(SocketError) in try reader.readToEnd(maximum: maximumSize, deadline: deadline)
        }
    }

    private static func readChunked(
        from reader: BufferedReader,
        maximumSize: Int,
        deadline: ContinuousClock.Instant
    ) throws(HTTPWireError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try socketCall { () throws(SocketError) in try reader.readLine(deadline: deadline) }
            let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingSpaces, radix: 16), size >= 0 else {
                throw .malformed("invalid chunk size '\(sizeLine)'")
            }
            if size == 0 {
                while try !socketCall({ () throws(SocketError) in try reader.readLine(deadline: deadline) }).isEmpty {}
                return body
            }
            guard body.count + size <= maximumSize else { throw .bodyTooLarge(limit: maximumSize) }
            body += try socketCall { () throws(SocketError) in try reader.read(count: size, deadline: deadline) }
            _ = try socketCall { () throws(SocketError) in try reader.readLine(deadline: deadline) }
        }
    }

    private static func socketCall<T>(_ body: () throws(SocketError) -> T) throws(HTTPWireError) -> T {
        do {
            return try body()
        } catch {
            throw .socket(error)
        }
    }

    /// Serialises a start line, headers and body, adding `Content-Length` when the headers lack one.
    package static func serialize(startLine: String, headers: HTTPHeaders, body: [UInt8]) -> [UInt8] {
        var text = startLine + "\r\n"
        for field in headers.fields {
            text += "\(field.name): \(field.value)\r\n"
        }
        if headers["Content-Length"] == nil && headers["Transfer-Encoding"] == nil {
            text += "Content-Length: \(body.count)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
