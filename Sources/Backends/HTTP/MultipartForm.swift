/// A `multipart/form-data` body (RFC 7578), as ComfyUI's `/upload/image` reads it.
package struct MultipartForm: Sendable {
    package let boundary: String
    private var body: [UInt8] = []

    package init(boundary: String = "kontextd-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)) {
        self.boundary = boundary
    }

    package var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    package mutating func addField(name: String, value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    package mutating func addFile(name: String, filename: String, contentType: String, bytes: [UInt8]) {
        let head =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: \(contentType)\r\n\r\n"
        body += Array(head.utf8) + bytes + Array("\r\n".utf8)
    }

    /// The finished body, closing boundary included.
    package var encoded: [UInt8] { body + Array("--\(boundary)--\r\n".utf8) }
}
