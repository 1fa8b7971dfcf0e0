/// A problem in a hosted profile or a hosted backend's settings, found when the backend is created.
public enum HostedConfigurationError: Error, Equatable, CustomStringConvertible {
    case missing(profile: String, key: String, example: String)
    case invalid(profile: String, key: String, value: String, expected: String)
    case unknownKey(profile: String, key: String, allowed: [String])
    case invalidURL(String, reason: String)
    case key(String)

    public var description: String {
        switch self {
        case .missing(let profile, let key, let example):
            "hosted profile '\(profile)' has no '\(key)'; add it, for example '\(example)'"
        case .invalid(let profile, let key, let value, let expected):
            "hosted profile '\(profile)' has invalid value '\(value)' for '\(key)': expected \(expected)"
        case .unknownKey(let profile, let key, let allowed):
            "hosted profile '\(profile)' has unknown key '\(key)'; allowed keys are \(allowed.joined(separator: ", "))"
        case .invalidURL(let text, let reason):
            "invalid URL '\(text)': \(reason)"
        case .key(let message):
            message
        }
    }
}

extension HostedProfile {
    static let topKeys = ["name", "base_url", "auth", "submit", "response", "status", "result", "limits", "poll", "timeouts"]
    static let requestValueNames = ["prompt", "image", "mask", "seed", "steps", "guidance", "aspect_ratio", "width", "height"]

    /// Reads a profile from its JSON form (the daemon converts the YAML file to it).
    public init(json: JSONValue, source: String) throws(HostedConfigurationError) {
        var reader = ProfileReader(profile: source)
        let root = try reader.object(json, key: "profile", allowed: Self.topKeys)
        let name = try reader.string(root, "name", example: "name: bfl-kontext-pro")
        reader.profile = name
        let auth = try reader.object(root["auth"], key: "auth", allowed: ["header", "prefix"])
        let submit = try reader.object(root["submit"], key: "submit", allowed: ["path", "headers", "envelope", "fields", "constants", "image", "upload"])
        let response = try reader.object(root["response"], key: "response", allowed: ["id", "poll_url", "poll_path", "result_url"])

        self.init(
            name: name,
            baseURL: try HostedURL(parsing: try reader.string(root, "base_url", example: "base_url: https://api.bfl.ai")),
            authHeader: try reader.string(auth, "auth.header", field: "header", example: "header: x-key"),
            authPrefix: reader.optionalString(auth, "prefix") ?? "",
            submitPath: try reader.string(submit, "submit.path", field: "path", example: "path: /v1/flux-kontext-pro"),
            idPath: try reader.string(response, "response.id", field: "id", example: "id: id")
        )
        try readSubmit(submit, reader: &reader)
        pollURLPath = reader.optionalString(response, "poll_url")
        pollPathTemplate = reader.optionalString(response, "poll_path")
        resultURLPath = reader.optionalString(response, "result_url")
        if pollURLPath == nil && pollPathTemplate == nil {
            throw .missing(profile: name, key: "response.poll_url", example: "poll_url: polling_url, or poll_path: /v1/runs/{id}")
        }
        try readStatus(root["status"], reader: &reader)
        try readResult(root["result"], reader: &reader)
        try readLimits(root["limits"], reader: &reader)
        try readTimes(root, reader: &reader)
    }

    private mutating func readSubmit(_ submit: [String: JSONValue], reader: inout ProfileReader) throws(HostedConfigurationError) {
        submitHeaders = try reader.stringMap(submit["headers"], key: "submit.headers")
        envelope = reader.optionalString(submit, "envelope")
        fields = try reader.stringMap(submit["fields"], key: "submit.fields")
        for key in fields.keys.sorted() where !Self.requestValueNames.contains(key) {
            throw .unknownKey(profile: name, key: "submit.fields.\(key)", allowed: Self.requestValueNames)
        }
        constants = try reader.object(submit["constants"] ?? .object([:]), key: "submit.constants", allowed: nil)
        if let text = reader.optionalString(submit, "image") {
            guard let encoding = ImageEncoding(rawValue: text) else {
                throw .invalid(profile: name, key: "submit.image", value: text, expected: "one of base64, data_uri, upload")
            }
            imageEncoding = encoding
        }
        if imageEncoding == .upload {
            let fields = try reader.object(submit["upload"], key: "submit.upload", allowed: ["path", "field", "url"])
            upload = Upload(
                path: try reader.string(fields, "submit.upload.path", field: "path", example: "path: /v1/files"),
                field: reader.optionalString(fields, "field") ?? "content",
                urlPath: try reader.string(fields, "submit.upload.url", field: "url", example: "url: urls.get")
            )
        }
    }

    private mutating func readStatus(_ value: JSONValue?, reader: inout ProfileReader) throws(HostedConfigurationError) {
        let status = try reader.object(value, key: "status", allowed: ["field", "running", "succeeded", "failed", "moderated"])
        statusPath = reader.optionalString(status, "field") ?? "status"
        runningWords = Set(try reader.strings(status["running"], key: "status.running"))
        succeededWords = Set(try reader.strings(status["succeeded"], key: "status.succeeded"))
        failedWords = Set(try reader.strings(status["failed"], key: "status.failed"))
        moderatedWords = Set(try reader.strings(status["moderated"], key: "status.moderated"))
        if succeededWords.isEmpty {
            throw .missing(profile: name, key: "status.succeeded", example: "succeeded: [Ready]")
        }
    }

    private mutating func readResult(_ value: JSONValue?, reader: inout ProfileReader) throws(HostedConfigurationError) {
        let result = try reader.object(value, key: "result", allowed: ["image", "error", "moderated_markers", "download_auth"])
        imagePaths = try reader.strings(result["image"], key: "result.image")
        if imagePaths.isEmpty {
            throw .missing(profile: name, key: "result.image", example: "image: [result.sample]")
        }
        errorPaths = try reader.strings(result["error"], key: "result.error")
        moderatedMarkers = try reader.strings(result["moderated_markers"], key: "result.moderated_markers")
        downloadAuth = try reader.bool(result["download_auth"], key: "result.download_auth") ?? false
    }

    private mutating func readLimits(_ value: JSONValue?, reader: inout ProfileReader) throws(HostedConfigurationError) {
        guard let value else { return }
        let allowed = ["max_megapixels", "max_side", "max_inline_bytes", "size_multiple", "max_aspect_ratio", "aspect_ratios", "max_in_flight", "result_url_lifetime"]
        let fields = try reader.object(value, key: "limits", allowed: allowed)
        limits.maxMegapixels = try reader.number(fields["max_megapixels"], key: "limits.max_megapixels", range: 0.01...100) ?? limits.maxMegapixels
        limits.maxSide = try reader.integer(fields["max_side"], key: "limits.max_side", range: 64...16384) ?? limits.maxSide
        limits.maxInlineBytes = try reader.integer(fields["max_inline_bytes"], key: "limits.max_inline_bytes", range: 1024...1 << 30) ?? limits.maxInlineBytes
        limits.sizeMultiple = try reader.integer(fields["size_multiple"], key: "limits.size_multiple", range: 1...256) ?? limits.sizeMultiple
        limits.maxAspectRatio = try reader.number(fields["max_aspect_ratio"], key: "limits.max_aspect_ratio", range: 1...16) ?? limits.maxAspectRatio
        limits.aspectRatios = try reader.strings(fields["aspect_ratios"], key: "limits.aspect_ratios")
        for ratio in limits.aspectRatios where HostedSizing.parseRatio(ratio) == nil {
            throw .invalid(profile: name, key: "limits.aspect_ratios", value: ratio, expected: "a ratio such as '16:9'")
        }
        limits.maxInFlight = try reader.integer(fields["max_in_flight"], key: "limits.max_in_flight", range: 1...256) ?? limits.maxInFlight
        limits.resultURLLifetime =
            try reader.number(fields["result_url_lifetime"], key: "limits.result_url_lifetime", range: 1...86_400) ?? limits.resultURLLifetime
    }

    private mutating func readTimes(_ root: [String: JSONValue], reader: inout ProfileReader) throws(HostedConfigurationError) {
        if let value = root["poll"] {
            let fields = try reader.object(value, key: "poll", allowed: ["initial", "max", "factor"])
            polling.initial = try reader.number(fields["initial"], key: "poll.initial", range: 0.01...600) ?? polling.initial
            polling.maximum = try reader.number(fields["max"], key: "poll.max", range: 0.01...600) ?? polling.maximum
            polling.factor = try reader.number(fields["factor"], key: "poll.factor", range: 1...10) ?? polling.factor
        }
        if let value = root["timeouts"] {
            try timeouts.read(value, reader: &reader)
        }
    }
}

extension HostedTimeouts {
    static let keys = ["request", "download", "job", "submit_wait"]

    mutating func read(_ value: JSONValue, reader: inout ProfileReader) throws(HostedConfigurationError) {
        let fields = try reader.object(value, key: "timeouts", allowed: Self.keys)
        request = try reader.number(fields["request"], key: "timeouts.request", range: 1...3600) ?? request
        download = try reader.number(fields["download"], key: "timeouts.download", range: 1...3600) ?? download
        job = try reader.number(fields["job"], key: "timeouts.job", range: 1...86_400) ?? job
        submitWait = try reader.number(fields["submit_wait"], key: "timeouts.submit_wait", range: 0...86_400) ?? submitWait
    }
}
