/// One hosted provider's wire shape: where to submit, how to poll, which words mean what.
///
/// A profile is data, read from YAML (see etc/kontextd/providers/ and docs/hosted.md), so a new
/// provider of the same submit-then-poll shape needs no code. Paths into JSON bodies use the form
/// `result.sample`, `output[0]` or `images[*].url` (see `HostedJSONPath`).
public struct HostedProfile: Sendable, Equatable {
    /// The encoding of the image (and mask) in the submit body.
    public enum ImageEncoding: String, Sendable, Equatable, CaseIterable {
        /// Plain base64 without a prefix (BFL).
        case base64
        /// `data:image/png;base64,...` (Replicate for small files, fal).
        case dataURI = "data_uri"
        /// Uploaded first with a multipart POST; the submit body carries the returned URL.
        case upload
    }

    public struct Upload: Sendable, Equatable {
        public var path: String
        /// The multipart field that carries the file.
        public var field: String
        /// The path of the uploaded file's URL in the upload response.
        public var urlPath: String
    }

    public var name: String
    public var baseURL: HostedURL
    public var authHeader: String
    /// Written before the key in the auth header, such as `Bearer ` or `Key `.
    public var authPrefix: String

    public var submitPath: String
    public var submitHeaders: [String: String] = [:]
    /// A field that wraps every input (`input` for Replicate), or nil to send the fields at the top level.
    public var envelope: String?
    /// Request value name (`prompt`, `image`, `mask`, `seed`, `steps`, `guidance`, `aspect_ratio`,
    /// `width`, `height`) to the provider's field name. Values without an entry are not sent.
    public var fields: [String: String] = [:]
    /// Fields sent with every submit, such as `output_format: png`.
    public var constants: [String: JSONValue] = [:]
    public var imageEncoding: ImageEncoding = .base64
    public var upload: Upload?

    public var idPath: String
    /// The path of the poll URL in the submit response. When it is nil, `pollPathTemplate` gives the URL.
    public var pollURLPath: String?
    /// A path with `{id}`, resolved against the base URL, for providers that return no poll URL.
    public var pollPathTemplate: String?
    /// The path of a separate result URL in the submit response (fal fetches the output there after success).
    public var resultURLPath: String?

    public var statusPath: String
    public var runningWords: Set<String> = []
    public var succeededWords: Set<String> = []
    public var failedWords: Set<String> = []
    public var moderatedWords: Set<String> = []

    /// Paths tried in order for the output image's URL or data URI.
    public var imagePaths: [String] = []
    /// Paths tried in order for a failure's message.
    public var errorPaths: [String] = []
    /// Words in an error body that mean the content filter rejected the run, such as `content_policy_violation`.
    public var moderatedMarkers: [String] = []
    /// Whether the result download carries the auth header (only for result URLs on the provider's host).
    public var downloadAuth = false

    /// A forward proxy that fetches `https://` URLs for plain-HTTP clients (such as Squid), set
    /// from the backend entry's `https_proxy`. Without it, `https://` URLs go over TLS directly.
    public var httpsProxy: HostedURL?
    /// A PEM file of extra trusted CA certificates for direct TLS (a private CA), from `ca_file`.
    public var caFile: String?

    public var limits = HostedLimits()
    public var polling = HostedPolling()
    public var timeouts = HostedTimeouts()

    public init(
        name: String,
        baseURL: HostedURL,
        authHeader: String,
        authPrefix: String = "",
        submitPath: String,
        idPath: String,
        statusPath: String = "status"
    ) {
        self.name = name
        self.baseURL = baseURL
        self.authHeader = authHeader
        self.authPrefix = authPrefix
        self.submitPath = submitPath
        self.idPath = idPath
        self.statusPath = statusPath
    }
}

/// Size and concurrency limits of one provider's model.
public struct HostedLimits: Sendable, Equatable {
    /// The input is scaled down to at most this many megapixels before upload.
    public var maxMegapixels = 1.0
    /// The input's longer side is scaled down to at most this many pixels.
    public var maxSide = 2048
    /// Encoded image bytes above this are rejected before submit, since the provider would reject them.
    public var maxInlineBytes = 20_000_000
    /// Width and height fields are rounded to a multiple of this.
    public var sizeMultiple = 16
    /// The widest and tallest aspect ratio the `aspect_ratio` field accepts, as width over height.
    public var maxAspectRatio = 21.0 / 9.0
    /// The ratios the `aspect_ratio` field accepts, such as `["16:9", "1:1"]`; empty accepts any
    /// ratio within `maxAspectRatio`.
    public var aspectRatios: [String] = []
    /// Runs of this backend submitted but not finished at once; more wait in the daemon.
    public var maxInFlight = 4
    /// How long a result URL stays valid after the run finished, in seconds.
    public var resultURLLifetime = 600.0

    public init() {}
}

/// Poll interval: it starts at `initial` seconds and grows by `factor` up to `maximum`.
public struct HostedPolling: Sendable, Equatable {
    public var initial = 1.0
    public var maximum = 10.0
    public var factor = 1.5

    public init() {}
}

/// Timeouts in seconds: each HTTP call, each download, and one run from submit to result.
public struct HostedTimeouts: Sendable, Equatable {
    public var request = 30.0
    public var download = 120.0
    public var job = 900.0
    /// How long the daemon waits for a free run slot or after a 429 on submit before the job is retried later.
    public var submitWait = 300.0

    public init() {}
}
