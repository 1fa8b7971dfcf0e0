/// The settings of a `type: comfyui` backend, read from its entry under `backends:`.
///
/// ```yaml
/// - name: gpu
///   type: comfyui
///   servers:
///     - 127.0.0.1:8188                          # or {address: HOST:PORT, concurrency: 1, queue_ahead: 1}
///   models: {format: safetensors, diffusion_model: ..., clip_l: ..., t5: ..., vae: ...}
///   workflow: /etc/kontextd/workflows/edit.json  # instead of models: an API-format export
///   bindings: {image: "12.image", prompt: "6.text", output: "9", ...}
///   timeouts: {request: 30, transfer: 120, job: 900, no_server: 120}
///   attempts: 3
/// ```
public struct ComfyUIBackendOptions: Sendable, Equatable {
    public struct Server: Sendable, Equatable {
        public var address: String
        public var concurrency: Int
        public var queueAhead: Int
    }

    /// Model file names for the built-in Kontext graph; nil fields keep the backend's defaults.
    public struct Models: Sendable, Equatable {
        public var format: String?
        public var diffusionModel: String?
        public var weightDType: String?
        public var clipL: String?
        public var t5: String?
        public var vae: String?
    }

    public var servers: [Server] = []
    public var models = Models()
    /// Absolute path of an API-format workflow; nil runs the built-in Kontext graph.
    public var workflow: String?
    /// Binding name (`image`, `prompt`, ..., `output`) to `NODE.INPUT` (or the node id for `output`).
    public var bindings: [String: String] = [:]
    public var requestTimeout: Double?
    public var transferTimeout: Double?
    public var jobTimeout: Double?
    /// How long a job waits while every server is out of the pool before it fails as transient.
    public var noServerTimeout: Double?
    public var attempts: Int?

    public init() {}

    public static let bindingNames = [
        "image", "mask", "prompt", "seed", "steps", "guidance", "width", "height", "output", "filename_prefix",
    ]
}

extension ConfigurationReader {
    static let comfyUIKeys = ["servers", "models", "workflow", "bindings", "timeouts", "attempts"]
    static let comfyUIModelKeys = ["format", "diffusion_model", "weight_dtype", "clip_l", "t5", "vae"]

    /// Reads the options of a ComfyUI backend; `path` is like `backends[2]`.
    mutating func readComfyUIOptions(_ node: YAMLNode, path: String) -> ComfyUIBackendOptions {
        var options = ComfyUIBackendOptions()
        guard let fields = schema.fields(of: node, path: path, allowed: Self.comfyUIKeys) else { return options }

        if let servers = fields["servers"] {
            options.servers = readComfyUIServers(servers, path: "\(path).servers")
        } else {
            schema.collector.error(
                "'\(path)' has no 'servers'; list at least one ComfyUI server such as '127.0.0.1:8188'",
                at: node
            )
        }
        if let models = fields["models"] {
            options.models = readComfyUIModels(models, path: "\(path).models")
        }
        if let workflow = fields["workflow"] {
            options.workflow = schema.string(workflow, path: "\(path).workflow", expected: "the absolute path of an API-format workflow")
            if let file = options.workflow, !file.hasPrefix("/") {
                schema.collector.error("'\(path).workflow' is '\(file)', which is not an absolute path; write it starting with '/'", at: workflow)
            }
        }
        if let bindings = fields["bindings"] {
            options.bindings = readComfyUIBindings(bindings, path: "\(path).bindings")
        }
        checkWorkflowAndBindings(options, fields: fields, node: node, path: path)
        if let timeouts = fields["timeouts"] {
            readComfyUITimeouts(timeouts, path: "\(path).timeouts", into: &options)
        }
        if let attempts = fields["attempts"] {
            options.attempts = schema.integer(attempts, path: "\(path).attempts", range: 1...10, example: "attempts: 3")
        }
        return options
    }

    private mutating func readComfyUIServers(_ node: YAMLNode, path: String) -> [ComfyUIBackendOptions.Server] {
        guard let items = schema.list(node, path: path, expected: "a list of servers such as '127.0.0.1:8188'") else {
            return []
        }
        var servers: [ComfyUIBackendOptions.Server] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index + 1)]"
            if item.pairs == nil {
                guard let address = schema.string(item, path: itemPath, expected: "HOST:PORT") else { continue }
                servers.append(.init(address: address, concurrency: 1, queueAhead: 1))
                continue
            }
            guard let fields = schema.fields(of: item, path: itemPath, allowed: ["address", "concurrency", "queue_ahead"]) else {
                continue
            }
            guard let addressNode = fields["address"],
                let address = schema.string(addressNode, path: "\(itemPath).address", expected: "HOST:PORT")
            else {
                if fields["address"] == nil {
                    schema.collector.error("'\(itemPath)' has no 'address'; give the server as HOST:PORT", at: item)
                }
                continue
            }
            let concurrency = fields["concurrency"].flatMap {
                schema.integer($0, path: "\(itemPath).concurrency", range: 1...64, example: "concurrency: 1")
            }
            let queueAhead = fields["queue_ahead"].flatMap {
                schema.integer($0, path: "\(itemPath).queue_ahead", range: 0...64, example: "queue_ahead: 1")
            }
            servers.append(.init(address: address, concurrency: concurrency ?? 1, queueAhead: queueAhead ?? 1))
        }
        return servers
    }

    private mutating func readComfyUIModels(_ node: YAMLNode, path: String) -> ComfyUIBackendOptions.Models {
        var models = ComfyUIBackendOptions.Models()
        guard let fields = schema.fields(of: node, path: path, allowed: Self.comfyUIModelKeys) else { return models }
        func text(_ key: String) -> String? {
            fields[key].flatMap { schema.string($0, path: "\(path).\(key)", expected: "a model file name") }
        }
        models.format = text("format")
        if let format = models.format, !["safetensors", "gguf"].contains(format), let formatNode = fields["format"] {
            schema.collector.error("invalid value '\(format)' for '\(path).format': expected one of safetensors, gguf", at: formatNode)
        }
        models.diffusionModel = text("diffusion_model")
        models.weightDType = text("weight_dtype")
        models.clipL = text("clip_l")
        models.t5 = text("t5")
        models.vae = text("vae")
        return models
    }

    private mutating func readComfyUIBindings(_ node: YAMLNode, path: String) -> [String: String] {
        guard let fields = schema.fields(of: node, path: path, allowed: ComfyUIBackendOptions.bindingNames) else {
            return [:]
        }
        var bindings: [String: String] = [:]
        for pair in fields.pairs {
            let itemPath = "\(path).\(pair.name)"
            let isOutput = pair.name == "output"
            guard let value = schema.string(pair.value, path: itemPath, expected: isOutput ? "a node id" : "NODE.INPUT") else {
                continue
            }
            if !isOutput && value.split(separator: ".", omittingEmptySubsequences: false).count != 2 {
                schema.collector.error(
                    "invalid value '\(value)' for '\(itemPath)': expected NODE.INPUT such as '6.text' (node id, dot, input name)",
                    at: pair.value
                )
                continue
            }
            bindings[pair.name] = value
        }
        return bindings
    }

    private mutating func checkWorkflowAndBindings(
        _ options: ComfyUIBackendOptions,
        fields: Fields,
        node: YAMLNode,
        path: String
    ) {
        if options.workflow != nil {
            let written = Set(fields["bindings"]?.pairs?.map(\.name) ?? [])
            for required in ["image", "output"] where !written.contains(required) && fields["bindings"] != nil {
                schema.collector.error(
                    "'\(path).bindings' has no '\(required)'; a workflow needs to know where the image goes and which node's images are the output",
                    at: fields["bindings"] ?? node
                )
            }
            if fields["bindings"] == nil {
                schema.collector.error("'\(path)' names a workflow but no 'bindings'; add at least image and output", at: node)
            }
            if let models = fields["models"] {
                schema.collector.error("'\(path)' sets both 'workflow' and 'models'; the workflow names its own models, so remove 'models'", at: models)
            }
        } else if let bindings = fields["bindings"] {
            schema.collector.error("'\(path)' has 'bindings' but no 'workflow'; bindings apply to a workflow file", at: bindings)
        }
    }

    private mutating func readComfyUITimeouts(_ node: YAMLNode, path: String, into options: inout ComfyUIBackendOptions) {
        guard let fields = schema.fields(of: node, path: path, allowed: ["request", "transfer", "job", "no_server"]) else {
            return
        }
        options.requestTimeout = fields["request"].flatMap { schema.number($0, path: "\(path).request", range: 1...3600, example: "request: 30") }
        options.transferTimeout = fields["transfer"].flatMap { schema.number($0, path: "\(path).transfer", range: 1...3600, example: "transfer: 120") }
        options.jobTimeout = fields["job"].flatMap { schema.number($0, path: "\(path).job", range: 1...86_400, example: "job: 900") }
        options.noServerTimeout = fields["no_server"].flatMap {
            schema.number($0, path: "\(path).no_server", range: 1...86_400, example: "no_server: 120")
        }
    }
}
