import Foundation

/// One part of a `multipart/form-data` body.
struct MultipartPart {
    var name: String
    var filename: String?
    var body: [UInt8]
}

/// Splits a `multipart/form-data` body into its parts, or returns nil when it is malformed.
enum MultipartParser {
    static func parse(_ body: [UInt8], contentType: String) -> [MultipartPart]? {
        guard let boundaryRange = contentType.range(of: "boundary=") else { return nil }
        let boundary = contentType[boundaryRange.upperBound...].trimmingCharacters(in: ["\""])
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MultipartPart] = []
        var cursor = 0
        guard let first = find(delimiter, in: body, from: 0) else { return nil }
        cursor = first + delimiter.count
        while cursor + 2 <= body.count, !(body[cursor] == UInt8(ascii: "-") && body[cursor + 1] == UInt8(ascii: "-")) {
            cursor += 2  // CRLF after the delimiter
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor),
                let next = find(delimiter, in: body, from: headerEnd + 4)
            else { return nil }
            let headers = String(decoding: body[cursor..<headerEnd], as: UTF8.self)
            let content = Array(body[(headerEnd + 4)..<max(headerEnd + 4, next - 2)])
            if let part = makePart(headers: headers, content: content) { parts.append(part) }
            cursor = next + delimiter.count
        }
        return parts
    }

    private static func makePart(headers: String, content: [UInt8]) -> MultipartPart? {
        guard
            let disposition = headers.split(separator: "\r\n").first(where: {
                $0.lowercased().hasPrefix("content-disposition")
            })
        else {
            return nil
        }
        guard let name = parameter("name", in: String(disposition)) else { return nil }
        return MultipartPart(name: name, filename: parameter("filename", in: String(disposition)), body: content)
    }

    private static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\(key)=") else { continue }
            return String(trimmed.dropFirst(key.count + 1)).trimmingCharacters(in: ["\""])
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}
