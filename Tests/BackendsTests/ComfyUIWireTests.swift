import FakeServers
import Imaging
import Testing

@testable import Backends

struct ComfyUIWireTests {
    @Test func sha1MatchesKnownVector() {
        let digest = SHA1.hash(Array("abc".utf8)).map {
            String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
        }

        #expect(digest.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func acceptValueMatchesRFC6455() {
        #expect(WebSocketWire.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func jsonKeepsNumberKinds() throws {
        let text = #"{"cfg": 1.0, "steps": 20, "seed": 18446744073709551615, "neg": -3, "tiny": 1e-5}"#

        let value = try #require(JSONValue.parse(Array(text.utf8)))

        #expect(value["cfg"] == .double(1))
        #expect(value["steps"] == .integer(20))
        #expect(value["seed"] == .unsignedInteger(UInt64.max))
        #expect(value["neg"] == .integer(-3))
        #expect(value["tiny"] == .double(0.00001))
        #expect(value.serializedString == #"{"cfg":1.0,"neg":-3,"seed":18446744073709551615,"steps":20,"tiny":1e-05}"#)
    }

    @Test func jsonStringEscapesRoundTrip() throws {
        let text = #"["line\nbreak \"quoted\" \\ tab\t \u00e9 \ud83d\ude00 \u0001"]"#

        let value = try #require(JSONValue.parse(Array(text.utf8)))

        #expect(value == .array([.string("line\nbreak \"quoted\" \\ tab\t é 😀 \u{01}")]))
        #expect(JSONValue.parse(value.serialized) == value)
        #expect(value.serializedString == #"["line\nbreak \"quoted\" \\ tab\t é 😀 \u0001"]"#)
    }

    @Test(arguments: ["", "{", "[1,]", #"{"a" 1}"#, "tru", #""unterminated"#, "[1] 2", #"{"a":"\ud800"}"#])
    func jsonRejectsInvalidDocument(_ text: String) {
        #expect(JSONValue.parse(Array(text.utf8)) == nil)
    }

    @Test(arguments: [PixelLayout.gray, .grayAlpha, .rgb, .rgba])
    func storedPNGRoundTrips(_ layout: PixelLayout) throws {
        let width = 300
        let height = 230
        let pixels = (0..<(width * height * layout.channels)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        let image = Image(width: width, height: height, layout: layout, pixels: pixels)

        let decoded = try StoredPNG.decode(StoredPNG.encode(image))

        #expect(decoded == image)
    }

    @Test func storedPNGRejectsOtherData() {
        #expect(throws: StoredPNG.DecodeError.notPNG) {
            try StoredPNG.decode(Array("GIF89a".utf8))
        }
    }

    @Test func httpRoundTripOverLoopback() async throws {
        let server = LoopbackHTTPServer { request in
            let body = Array(
                "\(request.method) \(request.path) q=\(request.query["q"] ?? "") n=\(request.body.count)".utf8
            )
            return .response(HTTPResponse(status: 201, body: body))
        }
        try server.start()
        defer { server.stop() }
        let request = HTTPClientRequest(
            method: "POST",
            target: "/a%20b?q=x%26y",
            body: [UInt8](repeating: 7, count: 100_000)
        )

        let response = try await HTTPClient.send(request, to: server.endpoint, timeout: .seconds(5))

        #expect(response.status == 201)
        #expect(response.bodyText == "POST /a b q=x&y n=100000")
    }

    @Test func webSocketEchoesBothDirections() async throws {
        let server = LoopbackHTTPServer { _ in
            .webSocket { connection in
                while let message = try? connection.receive(deadline: .now + .seconds(5)) {
                    guard case .text(let text) = message else { continue }
                    try? connection.send(.text("echo " + text), deadline: .now + .seconds(5))
                }
            }
        }
        try server.start()
        defer { server.stop() }
        let endpoint = server.endpoint
        let longText = String(repeating: "x", count: 70_000)

        let replies = try await runOnThread { () throws(HTTPWireError) -> [WebSocketMessage?] in
            let connection = try WebSocketConnection.connect(
                to: endpoint,
                target: "/ws?clientId=a",
                timeout: .seconds(5)
            )
            defer { connection.close() }
            var replies: [WebSocketMessage?] = []
            for text in ["hello", longText] {
                try? connection.send(.text(text), deadline: .now + .seconds(5))
                replies.append(try connection.receive(deadline: .now + .seconds(5)))
            }
            return replies
        }

        #expect(replies == [.text("echo hello"), .text("echo " + longText)])
    }

    @Test func refusedConnectionNamesAddress() async throws {
        let server = LoopbackHTTPServer { _ in .dropConnection }
        try server.start()
        let endpoint = server.endpoint
        server.stop()

        await #expect(throws: HTTPWireError.socket(.connectionRefused(address: "127.0.0.1:\(endpoint.port)"))) {
            try await HTTPClient.send(HTTPClientRequest(method: "GET", target: "/"), to: endpoint, timeout: .seconds(2))
        }
    }
}
