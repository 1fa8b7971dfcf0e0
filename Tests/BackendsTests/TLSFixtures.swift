import Foundation

/// A throwaway CA and server certificates, created with the `openssl` command in a temporary folder.
struct TLSCertificates {
    let folder: URL
    var caFile: String { folder.appendingPathComponent("ca.pem").path }

    /// Creates the CA, one certificate for `localhost`/`127.0.0.1` (`server`) and one for
    /// `other.invalid` only (`mismatch`), both signed by the CA and valid for two days.
    static func make() throws -> TLSCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kontextd-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificates = TLSCertificates(folder: folder)
        try certificates.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kontextd test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try certificates.makeServerCertificate(name: "server", subjectAltName: "DNS:localhost,IP:127.0.0.1")
        try certificates.makeServerCertificate(name: "mismatch", subjectAltName: "DNS:other.invalid")
        return certificates
    }

    private func makeServerCertificate(name: String, subjectAltName: String) throws {
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)",
        ])
        let extensions = "subjectAltName=\(subjectAltName)\nextendedKeyUsage=serverAuth\n"
        try extensions.write(to: folder.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
        ])
    }

    /// Runs `openssl` with `arguments` in the folder and throws its output when it fails.
    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TLSFixtureError.commandFailed("openssl \(arguments.joined(separator: " ")): \(text)")
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}

/// `openssl s_server -WWW` on 127.0.0.1 with a free port, serving the files of the certificates folder.
final class TLSFileServer {
    let port: Int
    private let process: Process

    /// Starts the server with the certificate `name` (`server` or `mismatch`) and waits for its port.
    init(certificates: TLSCertificates, name: String) throws {
        let log = certificates.folder.appendingPathComponent("s_server-\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_server", "-accept", "127.0.0.1:0", "-WWW", "-cert", "\(name).pem", "-key", "\(name).key",
        ]
        process.currentDirectoryURL = certificates.folder
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        process.standardInput = Pipe()
        try process.run()
        port = try Self.waitForPort(log: log, process: process)
    }

    /// Reads the `ACCEPT 127.0.0.1:PORT` line that s_server prints once it listens.
    private static func waitForPort(log: URL, process: Process) throws -> Int {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            guard process.isRunning else { throw TLSFixtureError.commandFailed("openssl s_server exited: \(text)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TLSFixtureError.commandFailed("openssl s_server printed no ACCEPT line within 10 s")
    }

    /// Kills the server with SIGKILL, because s_server inherits the test thread's signal mask, in which
    /// SIGTERM may be blocked.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

enum TLSFixtureError: Error, CustomStringConvertible {
    case commandFailed(String)

    var description: String {
        switch self {
        case .commandFailed(let message): message
        }
    }
}
