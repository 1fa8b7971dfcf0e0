import Backends
import FakeServers
import Foundation
import Testing

/// HTTPS through `HTTPClient` against `openssl s_server` on 127.0.0.1 with a throwaway CA.
@Suite(.serialized) final class TLSClientTests {
    let certificates: TLSCertificates
    let page = "kontextd over TLS\n"

    init() throws {
        certificates = try TLSCertificates.make()
        try page.write(to: certificates.folder.appendingPathComponent("page.txt"), atomically: true, encoding: .utf8)
    }

    deinit {
        certificates.remove()
    }

    private func get(host: String, port: Int, tls: TLSConfiguration?) async throws(HTTPWireError) -> HTTPResponse {
        try await HTTPClient.send(
            HTTPClientRequest(method: "GET", target: "/page.txt"),
            to: HTTPEndpoint(host: host, port: port),
            tls: tls,
            timeout: .seconds(10)
        )
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func requestSucceedsWithCAFile(host: String) async throws {
        let server = try TLSFileServer(certificates: certificates, name: "server")
        defer { server.stop() }

        let response = try await get(host: host, port: server.port, tls: TLSConfiguration(caFile: certificates.caFile))

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == page)
    }

    @Test func untrustedCertificateIsRejected() async throws {
        let server = try TLSFileServer(certificates: certificates, name: "server")
        defer { server.stop() }

        let error = await #expect(throws: HTTPWireError.self) {
            try await self.get(host: "127.0.0.1", port: server.port, tls: TLSConfiguration())
        }

        #expect(
            error?.description
                == "the TLS certificate of '127.0.0.1' is invalid: unable to get local issuer certificate; "
                + "if the server uses a private CA, set ca_file to that CA's PEM file"
        )
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func hostMismatchIsRejected(host: String) async throws {
        let server = try TLSFileServer(certificates: certificates, name: "mismatch")
        defer { server.stop() }

        let error = await #expect(throws: HTTPWireError.self) {
            try await self.get(host: host, port: server.port, tls: TLSConfiguration(caFile: self.certificates.caFile))
        }

        #expect(
            error?.description
                == "the TLS certificate of '\(host)' was issued for other host names; connect with a name the "
                + "certificate lists"
        )
    }

    @Test func missingCAFileIsNamed() async throws {
        let server = try TLSFileServer(certificates: certificates, name: "server")
        defer { server.stop() }
        let path = certificates.folder.appendingPathComponent("absent.pem").path

        let error = await #expect(throws: HTTPWireError.self) {
            try await self.get(host: "127.0.0.1", port: server.port, tls: TLSConfiguration(caFile: path))
        }

        let text = error?.description ?? ""
        #expect(text.hasPrefix("cannot load the CA file '\(path)': "), "\(text)")
        #expect(text.hasSuffix("; give a PEM file with one or more CA certificates"), "\(text)")
    }

    @Test func plainHTTPIsUnchanged() async throws {
        let server = LoopbackHTTPServer { _ in .response(HTTPResponse(status: 200, body: Array("plain".utf8))) }
        try server.start()
        defer { server.stop() }

        let response = try await get(host: "127.0.0.1", port: server.port, tls: nil)

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "plain")
    }

    @Test func tlsToPlainHTTPPortFailsHandshake() async throws {
        let server = LoopbackHTTPServer { _ in .response(HTTPResponse(status: 200, body: Array("plain".utf8))) }
        try server.start()
        defer { server.stop() }

        let error = await #expect(throws: HTTPWireError.self) {
            try await self.get(host: "127.0.0.1", port: server.port, tls: TLSConfiguration(caFile: self.certificates.caFile))
        }

        let text = error?.description ?? ""
        #expect(text.hasPrefix("the TLS handshake with '127.0.0.1' failed: "))
        #expect(text.hasSuffix("; check that the port serves HTTPS with TLS 1.2 or later"))
    }
}
