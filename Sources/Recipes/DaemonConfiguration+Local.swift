#if canImport(Glibc)
import Glibc
#endif

/// The settings of a `type: local` backend: the native Flux Kontext engine inside the daemon.
///
/// ```yaml
/// - name: local
///   type: local
///   transformer: /var/lib/kontextd/models/flux1-kontext-dev-Q8_0.gguf   # safetensors or GGUF
///   vae: /var/lib/kontextd/models/ae.safetensors
///   clip_l: /var/lib/kontextd/models/clip_l.safetensors
///   t5xxl: /var/lib/kontextd/models/t5xxl_fp16.safetensors
///   clip_tokenizer: /usr/share/kontextd/tokenizers/clip   # optional: folder with vocab.json and merges.txt
///   t5_tokenizer: /usr/share/kontextd/tokenizers/t5/spiece.model   # optional: spiece.model or tokenizer.json
///   threads: 2                                              # optional: default all cores
///   max_megapixels: 0.25                                    # optional: run larger images at 0.25 x 1024² pixels
/// ```
///
/// The files are checked when a job runs, not when the configuration is read, so weights can be put
/// in place after the daemon starts. A job that needs a missing file fails naming it.
public struct LocalBackendOptions: Sendable, Equatable {
    public var transformer = ""
    public var vae = ""
    public var clipL = ""
    public var t5xxl = ""
    public var clipTokenizer = LocalBackendOptions.defaultCLIPTokenizer
    public var t5Tokenizer = LocalBackendOptions.defaultT5Tokenizer
    public var threads: Int?
    /// The size above which images run scaled down (same aspect ratio, sides multiples of 16), after
    /// which the pipeline scales the result back. Nil runs them at the size the pipeline gives.
    public var maxMegapixels: Double?

    public static let defaultCLIPTokenizer = "/usr/share/kontextd/tokenizers/clip"
    public static let defaultT5Tokenizer = "/usr/share/kontextd/tokenizers/t5/spiece.model"

    public init() {}

    /// Every file or folder the backend reads, with the key that names it.
    public var files: [(key: String, path: String)] {
        [
            ("transformer", transformer), ("vae", vae), ("clip_l", clipL), ("t5xxl", t5xxl),
            ("clip_tokenizer", clipTokenizer), ("t5_tokenizer", t5Tokenizer),
        ]
    }
}

extension ConfigurationReader {
    static let localKeys = [
        "transformer", "vae", "clip_l", "t5xxl", "clip_tokenizer", "t5_tokenizer", "threads", "max_megapixels",
    ]
    static let localRequiredKeys = ["transformer", "vae", "clip_l", "t5xxl"]

    /// Reads the options of a local backend; `path` is like `backends[1]`.
    mutating func readLocalOptions(_ node: YAMLNode, path: String) -> LocalBackendOptions {
        var options = LocalBackendOptions()
        guard let fields = schema.fields(of: node, path: path, allowed: Self.localKeys) else { return options }
        for key in Self.localRequiredKeys where fields[key] == nil {
            schema.collector.error(
                "'\(path)' has no '\(key)'; give the absolute path of the \(Self.localFileDescription(key))",
                at: node
            )
        }
        func file(_ key: String) -> String? {
            guard let value = fields[key] else { return nil }
            let expected = "the absolute path of the \(Self.localFileDescription(key))"
            guard let text = schema.string(value, path: "\(path).\(key)", expected: expected) else { return nil }
            guard text.hasPrefix("/") else {
                schema.collector.error("'\(path).\(key)' is '\(text)', which is not an absolute path; write it starting with '/'", at: value)
                return nil
            }
            return text
        }
        options.transformer = file("transformer") ?? ""
        options.vae = file("vae") ?? ""
        options.clipL = file("clip_l") ?? ""
        options.t5xxl = file("t5xxl") ?? ""
        options.clipTokenizer = file("clip_tokenizer") ?? options.clipTokenizer
        options.t5Tokenizer = file("t5_tokenizer") ?? options.t5Tokenizer
        if let threads = fields["threads"] {
            options.threads = schema.integer(threads, path: "\(path).threads", range: 1...1024, example: "threads: 2")
        }
        if let limit = fields["max_megapixels"] {
            options.maxMegapixels = schema.number(
                limit, path: "\(path).max_megapixels", range: 0.01...16, example: "max_megapixels: 0.25"
            )
        }
        return options
    }

    static func localFileDescription(_ key: String) -> String {
        LocalBackendOptions.describe(key)
    }
}

extension LocalBackendOptions {
    /// A configured file or folder that a job could not use as it is.
    public struct FileProblem: Sendable, Equatable {
        public var key: String
        public var path: String
        /// The fault, such as `does not exist` or `is a folder, not a file`.
        public var problem: String
        /// Whether the key names a folder (the CLIP tokenizer) rather than a file.
        public var isFolder: Bool
    }

    /// Returns what the file or folder of `key` must be, for messages.
    public static func describe(_ key: String) -> String {
        switch key {
        case "transformer": "Flux Kontext transformer (safetensors or GGUF)"
        case "vae": "Flux VAE (ae.safetensors)"
        case "clip_l": "CLIP-L text encoder (clip_l.safetensors)"
        case "t5xxl": "T5-XXL encoder (safetensors or GGUF)"
        case "clip_tokenizer": "folder holding CLIP's vocab.json and merges.txt"
        default: "T5 tokenizer (spiece.model or tokenizer.json)"
        }
    }

    /// Returns the configured files and folders that are missing or of the wrong kind, in key order.
    public func fileProblems() -> [FileProblem] {
        files.compactMap { key, path in
            guard !path.isEmpty else { return nil }
            let wantsFolder = key == "clip_tokenizer"
            var status = stat()
            let exists = stat(path, &status) == 0
            let isFolder = exists && (status.st_mode & S_IFMT) == S_IFDIR
            let problem: String
            if !exists {
                problem = "does not exist"
            } else if isFolder != wantsFolder {
                problem = isFolder ? "is a folder, not a file" : "is a file, not a folder"
            } else if wantsFolder, !["vocab.json", "merges.txt"].allSatisfy({ stat(path + "/" + $0, &status) == 0 }) {
                problem = "lacks vocab.json or merges.txt"
            } else {
                return nil
            }
            return FileProblem(key: key, path: path, problem: problem, isFolder: wantsFolder)
        }
    }
}
