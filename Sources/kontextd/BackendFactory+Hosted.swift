import Backends
import DaemonSupport
import Foundation
import Recipes

extension BackendFactory {
    /// A problem in a hosted backend's settings that only shows once its profile and key are read.
    struct HostedSetupError: Error, CustomStringConvertible {
        var backend: String
        var message: String

        var description: String { "backend '\(backend)': \(message)" }
    }

    /// The folder searched for shipped profiles after the configuration file's own `providers/` folder.
    static let providersFolder = "/etc/kontextd/providers"

    static func makeHostedBackend(_ backend: DaemonConfiguration.Backend, logger: Logger) throws -> HostedBackend {
        let (profile, key) = try makeHostedSettings(backend)
        return HostedBackend(name: backend.name, profile: profile, key: key, logger: logger)
    }

    /// Reads the backend's profile and key and applies its overrides; `kontextd check` calls it too.
    static func makeHostedSettings(_ backend: DaemonConfiguration.Backend) throws -> (HostedProfile, HostedKey) {
        let options = backend.hosted ?? HostedBackendOptions()
        do {
            var profile = try loadProfile(options.profile, configurationFile: backend.file)
            try apply(options, to: &profile)
            return (profile, try readKey(options))
        } catch let error as HostedConfigurationError {
            throw HostedSetupError(backend: backend.name, message: error.description)
        }
    }

    private static func apply(_ options: HostedBackendOptions, to profile: inout HostedProfile) throws {
        if let url = options.baseURL { profile.baseURL = try HostedURL(parsing: url) }
        if let proxy = options.httpsProxy { profile.httpsProxy = try HostedURL(parsing: proxy) }
        if let caFile = options.caFile { profile.caFile = caFile }
        if let limit = options.maxInFlight { profile.limits.maxInFlight = min(limit, profile.limits.maxInFlight) }
        if let seconds = options.requestTimeout { profile.timeouts.request = seconds }
        if let seconds = options.downloadTimeout { profile.timeouts.download = seconds }
        if let seconds = options.jobTimeout { profile.timeouts.job = seconds }
        if let seconds = options.submitWait { profile.timeouts.submitWait = seconds }
    }

    private static func readKey(_ options: HostedBackendOptions) throws(HostedConfigurationError) -> HostedKey {
        if let name = options.credential {
            return try HostedKey.read(path: try HostedKey.credentialPath(name: name, environment: ProcessInfo.processInfo.environment))
        }
        return try HostedKey.read(path: options.keyFile ?? "")
    }

    /// Finds a profile by name (in the configuration's `providers/` folder, then /etc/kontextd/providers)
    /// or by absolute path, and reads it.
    static func loadProfile(_ reference: String, configurationFile: String?) throws -> HostedProfile {
        var candidates: [String] = []
        if reference.hasPrefix("/") {
            candidates = [reference]
        } else {
            if let configurationFile {
                candidates.append((configurationFile as NSString).deletingLastPathComponent + "/providers/\(reference).yaml")
            }
            candidates.append("\(providersFolder)/\(reference).yaml")
        }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
            let data = FileManager.default.contents(atPath: path)
        else {
            throw HostedConfigurationError.key(
                "profile '\(reference)' not found (looked at \(candidates.joined(separator: ", "))); name a shipped profile or give an absolute path"
            )
        }
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse([UInt8](data))
        } catch {
            throw HostedConfigurationError.key("profile '\(path)' is not valid YAML: \(error)")
        }
        guard let root else { throw HostedConfigurationError.key("profile '\(path)' is empty") }
        return try HostedProfile(json: jsonValue(root), source: path)
    }

    /// Converts YAML to JSON with YAML 1.2 core-schema typing: only plain scalars become numbers,
    /// booleans or null, so a quoted `"2"` stays a string (fal wants `safety_tolerance` as one).
    static func jsonValue(_ node: YAMLNode) -> JSONValue {
        switch node.content {
        case .mapping(let pairs):
            return .object(Dictionary(pairs.map { ($0.name, jsonValue($0.value)) }, uniquingKeysWith: { _, last in last }))
        case .sequence(let items):
            return .array(items.map(jsonValue))
        case .scalar(let text, let style):
            guard style == .plain, node.tag == nil else { return .string(text) }
            if node.isNull { return .null }
            if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
            if let integer = Int64(text) { return .integer(integer) }
            if let number = Double(text), text.contains(where: \.isNumber) { return .double(number) }
            return .string(text)
        }
    }
}
