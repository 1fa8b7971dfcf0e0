/// The settings of a `type: hosted` backend, read from its entry under `backends:`.
///
/// ```yaml
/// - name: bfl
///   type: hosted
///   profile: bfl-kontext-pro              # a shipped profile, or the absolute path of a profile file
///   base_url: http://127.0.0.1:8443       # optional: overrides the profile's base_url
///   https_proxy: http://127.0.0.1:3128    # optional: forward proxy that fetches https:// URLs
///   ca_file: /etc/kontextd/private-ca.pem # optional: extra trusted CA certificates (PEM) for https
///   key_file: /etc/kontextd/bfl.key       # or credential: bfl-key ($CREDENTIALS_DIRECTORY/bfl-key)
///   max_in_flight: 4                      # optional: at most the profile's value
///   timeouts: {request: 30, download: 120, job: 900, submit_wait: 300}
/// ```
public struct HostedBackendOptions: Sendable, Equatable {
    /// A shipped profile's name or an absolute path.
    public var profile = ""
    public var baseURL: String?
    /// A forward proxy (`http://HOST:PORT`) that fetches `https://` URLs on the daemon's behalf.
    public var httpsProxy: String?
    /// A PEM file of CA certificates trusted for `https://` in addition to the system store.
    public var caFile: String?
    public var keyFile: String?
    /// A systemd credential name, read from `$CREDENTIALS_DIRECTORY`.
    public var credential: String?
    public var maxInFlight: Int?
    public var requestTimeout: Double?
    public var downloadTimeout: Double?
    public var jobTimeout: Double?
    public var submitWait: Double?

    public init() {}
}

extension ConfigurationReader {
    static let hostedKeys = ["profile", "base_url", "https_proxy", "ca_file", "key_file", "credential", "max_in_flight", "timeouts"]

    /// Reads the options of a hosted backend; `path` is like `backends[2]`.
    mutating func readHostedOptions(_ node: YAMLNode, path: String) -> HostedBackendOptions {
        var options = HostedBackendOptions()
        guard let fields = schema.fields(of: node, path: path, allowed: Self.hostedKeys) else { return options }

        if let profile = fields["profile"] {
            options.profile = schema.string(profile, path: "\(path).profile", expected: "a profile name such as 'bfl-kontext-pro' or an absolute path") ?? ""
            if options.profile.contains("/") && !options.profile.hasPrefix("/") {
                schema.collector.error("'\(path).profile' is '\(options.profile)', which is neither a profile name nor an absolute path", at: profile)
            }
        } else {
            schema.collector.error("'\(path)' has no 'profile'; name a provider profile such as 'bfl-kontext-pro'", at: node)
        }
        if let url = fields["base_url"] {
            options.baseURL = schema.string(url, path: "\(path).base_url", expected: "a URL such as 'http://127.0.0.1:8443'")
            if let text = options.baseURL, !text.hasPrefix("http://") && !text.hasPrefix("https://") {
                schema.collector.error("'\(path).base_url' is '\(text)'; write a URL starting with http:// or https://", at: url)
            }
        }
        if let proxy = fields["https_proxy"] {
            options.httpsProxy = schema.string(proxy, path: "\(path).https_proxy", expected: "a proxy URL such as 'http://127.0.0.1:3128'")
            if let text = options.httpsProxy, !text.hasPrefix("http://") {
                schema.collector.error("'\(path).https_proxy' is '\(text)'; write the proxy as http://HOST:PORT", at: proxy)
            }
        }
        if let caFile = fields["ca_file"] {
            options.caFile = schema.string(caFile, path: "\(path).ca_file", expected: "the absolute path of a PEM file with CA certificates")
            if let text = options.caFile, !text.hasPrefix("/") {
                schema.collector.error("'\(path).ca_file' is '\(text)', which is not an absolute path; write it starting with '/'", at: caFile)
            }
        }
        readHostedKey(fields, node: node, path: path, into: &options)
        if let limit = fields["max_in_flight"] {
            options.maxInFlight = schema.integer(limit, path: "\(path).max_in_flight", range: 1...256, example: "max_in_flight: 4")
        }
        if let timeouts = fields["timeouts"] {
            readHostedTimeouts(timeouts, path: "\(path).timeouts", into: &options)
        }
        return options
    }

    private mutating func readHostedKey(_ fields: Fields, node: YAMLNode, path: String, into options: inout HostedBackendOptions) {
        if let file = fields["key_file"] {
            options.keyFile = schema.string(file, path: "\(path).key_file", expected: "the absolute path of a file holding the API key")
            if let text = options.keyFile, !text.hasPrefix("/") {
                schema.collector.error("'\(path).key_file' is '\(text)', which is not an absolute path; write it starting with '/'", at: file)
            }
        }
        if let credential = fields["credential"] {
            options.credential = schema.string(credential, path: "\(path).credential", expected: "a systemd credential name such as 'bfl-key'")
            if let text = options.credential, text.contains("/") {
                schema.collector.error("'\(path).credential' is '\(text)'; a credential name has no '/'", at: credential)
            }
        }
        switch (fields["key_file"], fields["credential"]) {
        case (nil, nil):
            schema.collector.error("'\(path)' has neither 'key_file' nor 'credential'; say where the API key is", at: node)
        case (.some, .some(let credential)):
            schema.collector.error("'\(path)' sets both 'key_file' and 'credential'; keep one", at: credential)
        default:
            break
        }
    }

    private mutating func readHostedTimeouts(_ node: YAMLNode, path: String, into options: inout HostedBackendOptions) {
        guard let fields = schema.fields(of: node, path: path, allowed: ["request", "download", "job", "submit_wait"]) else { return }
        options.requestTimeout = fields["request"].flatMap { schema.number($0, path: "\(path).request", range: 1...3600, example: "request: 30") }
        options.downloadTimeout = fields["download"].flatMap { schema.number($0, path: "\(path).download", range: 1...3600, example: "download: 120") }
        options.jobTimeout = fields["job"].flatMap { schema.number($0, path: "\(path).job", range: 1...86_400, example: "job: 900") }
        options.submitWait = fields["submit_wait"].flatMap {
            schema.number($0, path: "\(path).submit_wait", range: 0...86_400, example: "submit_wait: 300")
        }
    }
}
