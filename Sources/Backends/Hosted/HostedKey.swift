import Foundation

/// A provider's API key, read once at start-up and kept out of every message.
///
/// `description` never shows the key, so interpolating a `HostedKey` by mistake prints `[redacted]`.
public struct HostedKey: Sendable, CustomStringConvertible {
    let value: String

    public init(value: String) throws(HostedConfigurationError) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw .key("the API key is empty; write the key on the first line of the key file")
        }
        guard !trimmed.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            throw .key("the API key file has more than one line; keep only the key")
        }
        self.value = trimmed
    }

    /// Reads the key from `path` (a key file, or `$CREDENTIALS_DIRECTORY/<name>` for a systemd credential).
    public static func read(path: String) throws(HostedConfigurationError) -> HostedKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .key("cannot read the API key file '\(path)'; check that it exists and that the daemon's user may read it")
        }
        return try HostedKey(value: String(decoding: data, as: UTF8.self))
    }

    /// The path of a systemd credential, from `$CREDENTIALS_DIRECTORY` (set by `LoadCredential=`).
    public static func credentialPath(name: String, environment: [String: String]) throws(HostedConfigurationError) -> String {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
            throw .key(
                "credential '\(name)' is configured but CREDENTIALS_DIRECTORY is not set; add 'LoadCredential=\(name):/path/to/key' "
                    + "to the service, or use key_file"
            )
        }
        return directory + "/" + name
    }

    public var description: String { "[redacted]" }

    /// Replaces every occurrence of the key in `text` with `[redacted]`.
    public func redact(_ text: String) -> String {
        text.replacingOccurrences(of: value, with: "[redacted]")
    }
}
