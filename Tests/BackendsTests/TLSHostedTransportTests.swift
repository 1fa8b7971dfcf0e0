@testable import Backends
import Foundation
import Testing

/// The hosted transport against `openssl s_server`: https without a proxy, and how TLS failures count.
@Suite(.serialized) final class TLSHostedTransportTests {
    let certificates: TLSCertificates
    let page = "hosted over TLS\n"

    init() throws {
        certificates = try TLSCertificates.make()
        try page.write(to: certificates.folder.appendingPathComponent("page.txt"), atomically: true, encoding: .utf8)
    }

    deinit {
        certificates.remove()
    }

    private func get(_ url: String, caFile: String?) async throws(HostedTransportError) -> HTTPResponse {
        // The URLs below are valid literals, so parsing cannot fail.
        let parsed = try! HostedURL(parsing: url)
        return try await HostedTransport.send(method: "GET", url: parsed, headers: HTTPHeaders(), timeout: 10, caFile: caFile)
    }

    @Test func httpsGetWithoutProxySucceeds() async throws {
        let server = try TLSFileServer(certificates: certificates, name: "server")
        defer { server.stop() }

        let response = try await get("https://localhost:\(server.port)/page.txt", caFile: certificates.caFile)

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == page)
    }

    @Test(arguments: [("server", false), ("mismatch", true)])
    func certificateFailureCountsAsNotSent(certificate: String, withCAFile: Bool) async throws {
        let server = try TLSFileServer(certificates: certificates, name: certificate)
        defer { server.stop() }
        let caFile = withCAFile ? certificates.caFile : nil

        var failure: HostedTransportError?
        do {
            _ = try await get("https://127.0.0.1:\(server.port)/page.txt", caFile: caFile)
        } catch {
            failure = error
        }

        let expected =
            withCAFile
            ? TLSError.hostMismatch(host: "127.0.0.1").description
            : TLSError.certificateInvalid(host: "127.0.0.1", reason: "unable to get local issuer certificate").description
        guard case .notSent(let message) = failure else {
            Issue.record("expected notSent, got \(String(describing: failure))")
            return
        }
        #expect(message == expected)
    }
}
