public import Imaging

/// One ComfyUI server in the pool.
public struct ComfyUIServer: Sendable, Equatable {
    public var endpoint: HTTPEndpoint
    /// How many jobs the server runs at the same time; one ComfyUI process runs one prompt at a time.
    public var concurrency: Int
    /// How many further jobs are kept uploaded and queued on the server, so it starts the next job
    /// the moment the current one ends instead of waiting for the daemon's next upload.
    public var queueAhead: Int

    public init(host: String, port: Int, concurrency: Int = 1, queueAhead: Int = 1) {
        self.endpoint = HTTPEndpoint(host: host, port: port)
        self.concurrency = concurrency
        self.queueAhead = queueAhead
    }

    /// The number of jobs the daemon keeps on this server at once.
    var capacity: Int { concurrency + queueAhead }
}

/// The model files of the built-in Kontext graph, named exactly as the server lists them
/// (including any subfolder, for example `flux/flux1-dev-kontext_fp8_scaled.safetensors`).
public struct KontextModelFiles: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        /// Core loaders: `UNETLoader` and `DualCLIPLoader`.
        case safetensors
        /// The ComfyUI-GGUF custom nodes: `UnetLoaderGGUF` and `DualCLIPLoaderGGUF`.
        case gguf
    }

    public var format: Format
    public var diffusionModel: String
    /// `UNETLoader.weight_dtype`: `default`, `fp8_e4m3fn`, `fp8_e4m3fn_fast` or `fp8_e5m2`; unused for GGUF.
    public var weightDType: String
    public var clipL: String
    public var t5: String
    public var vae: String

    public init(
        format: Format = .safetensors,
        diffusionModel: String = "flux1-dev-kontext_fp8_scaled.safetensors",
        weightDType: String = "default",
        clipL: String = "clip_l.safetensors",
        t5: String = "t5xxl_fp8_e4m3fn_scaled.safetensors",
        vae: String = "ae.safetensors"
    ) {
        self.format = format
        self.diffusionModel = diffusionModel
        self.weightDType = weightDType
        self.clipL = clipL
        self.t5 = t5
        self.vae = vae
    }
}

/// The graph the backend queues for each job.
public enum ComfyUIGraphSource: Sendable {
    /// The built-in Flux Kontext edit graph, generated per job.
    case kontext(KontextModelFiles)
    /// A workflow the user exported from ComfyUI in API format, with its bindings.
    case workflow(ComfyUIWorkflow)
}

/// Time limits of the ComfyUI backend.
public struct ComfyUITimeouts: Sendable, Equatable {
    /// One small HTTP exchange (queue, history, health check).
    public var request: Duration
    /// One upload or download, including slow links.
    public var transfer: Duration
    /// From queueing a prompt to its end, waiting in the server's queue included.
    public var job: Duration
    /// How long a job waits for a WebSocket event before it checks `/history` itself.
    public var pollInterval: Duration
    /// How long a server that failed stays out of the pool before the next `/system_stats` check.
    /// Each failed check doubles the delay, up to eight times this value.
    public var serverRetryDelay: Duration
    /// How long a job waits while every server is out of the pool before it fails as transient.
    public var noServerWait: Duration

    public init(
        request: Duration = .seconds(30),
        transfer: Duration = .seconds(120),
        job: Duration = .seconds(900),
        pollInterval: Duration = .seconds(1),
        serverRetryDelay: Duration = .seconds(15),
        noServerWait: Duration = .seconds(120)
    ) {
        self.request = request
        self.transfer = transfer
        self.job = job
        self.pollInterval = pollInterval
        self.serverRetryDelay = serverRetryDelay
        self.noServerWait = noServerWait
    }
}

/// Everything the ComfyUI backend needs from the daemon configuration.
public struct ComfyUIConfiguration: Sendable {
    /// The backend name that recipes select with `backend:`.
    public var name: String
    public var servers: [ComfyUIServer]
    public var graph: ComfyUIGraphSource
    public var timeouts: ComfyUITimeouts
    /// How many attempts one job gets (on other servers where possible) before a transient
    /// failure is returned to the pipeline.
    public var maximumAttempts: Int

    public init(
        name: String,
        servers: [ComfyUIServer],
        graph: ComfyUIGraphSource = .kontext(KontextModelFiles()),
        timeouts: ComfyUITimeouts = ComfyUITimeouts(),
        maximumAttempts: Int = 3
    ) {
        self.name = name
        self.servers = servers
        self.graph = graph
        self.timeouts = timeouts
        self.maximumAttempts = maximumAttempts
    }
}

/// The conversion between images and file bytes that the backend uploads and downloads.
///
/// The daemon passes its libpng/libjpeg codecs; tests pass a small stand-alone PNG codec.
public struct ComfyUIImageCoding: Sendable {
    public var encodePNG: @Sendable (Image) throws -> [UInt8]
    /// Decodes a downloaded output (PNG from `SaveImage`, or another format a user workflow saves).
    public var decode: @Sendable ([UInt8]) throws -> Image

    public init(
        encodePNG: @escaping @Sendable (Image) throws -> [UInt8],
        decode: @escaping @Sendable ([UInt8]) throws -> Image
    ) {
        self.encodePNG = encodePNG
        self.decode = decode
    }
}

extension ComfyUIServer {
    /// ComfyUI's default port (`--port`).
    public static let defaultPort = 8188

    /// Parses a server address from the configuration: `host`, `host:port`, `http://host:port/`
    /// or an IPv6 literal in brackets such as `[::1]:8188`. The port defaults to 8188.
    public init(address: String, concurrency: Int = 1, queueAhead: Int = 1) throws(ComfyUIConfigurationError) {
        var rest = Substring(address.trimmingSpaces)
        if rest.lowercased().hasPrefix("https://") {
            throw .invalidServerAddress(
                address: address,
                reason: "https is not supported; use http:// on a private network or a local TLS proxy"
            )
        }
        if rest.lowercased().hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else {
            throw .invalidServerAddress(address: address, reason: "use host:port or http://host:port, without a path")
        }

        let (host, portText) = Self.splitHostPort(rest)
        guard !host.isEmpty else { throw .invalidServerAddress(address: address, reason: "the host is missing") }
        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidServerAddress(address: address, reason: "the port must be a number from 1 to 65535")
            }
            port = value
        }
        self.init(host: host, port: port, concurrency: concurrency, queueAhead: queueAhead)
    }

    private static func splitHostPort(_ text: Substring) -> (host: String, port: Substring?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            return (host, after.hasPrefix(":") ? after.dropFirst() : nil)
        }
        guard let colon = text.lastIndex(of: ":") else { return (String(text), nil) }
        return (String(text[..<colon]), text[text.index(after: colon)...])
    }
}
