public import Imaging

/// The prepared input of the generative step and its settings.
///
/// The pipeline has already decoded, oriented, scaled or cropped the image; a backend only edits it.
public struct EditRequest: Sendable {
    /// The job this request belongs to, for logs and for names on remote servers.
    public var jobID: String
    /// The image to edit, upright and in sRGB.
    public var image: Image
    /// The region to edit, the same size as `image` (255 = edit); nil edits the whole image.
    public var mask: Mask?
    /// The edit instruction; nil for a plain masked fill.
    public var prompt: String?
    public var seed: UInt64
    public var steps: Int
    public var guidance: Double
    /// The size the backend should produce; the pipeline resizes whatever comes back to the final size.
    public var outputWidth: Int
    public var outputHeight: Int
    /// Durable notes for this step of this job, kept in the job's claim folder, so a backend that
    /// started remote work (a hosted run id) can resume it after a restart instead of starting again.
    public var checkpoint: (any BackendCheckpoint)?
    /// Called as a long generative step advances, for the service status line.
    public var progress: (@Sendable (BackendProgress) -> Void)?

    public init(
        jobID: String,
        image: Image,
        mask: Mask?,
        prompt: String?,
        seed: UInt64,
        steps: Int,
        guidance: Double,
        outputWidth: Int,
        outputHeight: Int
    ) {
        self.jobID = jobID
        self.image = image
        self.mask = mask
        self.prompt = prompt
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        self.checkpoint = nil
        self.progress = nil
    }
}

/// How far a backend has come with one request, such as step 3 of 20 of the denoising loop.
public struct BackendProgress: Sendable, Equatable, CustomStringConvertible {
    /// The current stage: `text encoding`, `reference encoding`, `denoising` or `decoding`.
    public var stage: String
    public var completed: Int
    public var total: Int

    public init(stage: String, completed: Int, total: Int) {
        self.stage = stage
        self.completed = completed
        self.total = total
    }

    public var description: String {
        total > 1 ? "\(stage) \(completed)/\(total)" : stage
    }
}

/// A small durable key-value record for one generative step of one job.
///
/// `save` returns only after the record is on disk (written to a temporary file, flushed and
/// renamed), so a value saved before a remote call survives a crash right after it.
public protocol BackendCheckpoint: Sendable {
    func load() -> [String: String]
    func save(_ values: [String: String]) throws
}

/// The image a backend produced, and where it ran.
public struct EditResult: Sendable {
    public var image: Image
    /// The server or engine that ran the step, for the job log (never a URL with credentials).
    public var server: String?
    public var warnings: [String]
    /// Seconds spent in the backend's own stages, in order, for the job log.
    public var timings: [(stage: String, seconds: Double)]

    public init(image: Image, server: String? = nil, warnings: [String] = [], timings: [(stage: String, seconds: Double)] = []) {
        self.image = image
        self.server = server
        self.warnings = warnings
        self.timings = timings
    }
}

/// The kinds of edit a backend can perform.
public struct BackendCapabilities: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Follows a text instruction (Flux Kontext and the like).
    public static let promptEdit = BackendCapabilities(rawValue: 1 << 0)
    /// Fills a masked region without a prompt.
    public static let maskedFill = BackendCapabilities(rawValue: 1 << 1)
}

/// The reason a backend could not produce a result.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    /// Worth retrying later: server down, timeout, HTTP 429 or 5xx.
    case transient(String)
    /// Retrying the same job will not help: invalid input, moderation, unsupported request.
    case permanent(String)

    public var description: String {
        switch self {
        case .transient(let message): message
        case .permanent(let message): message
        }
    }

    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }
}

/// An engine that performs the generative step of an edit.
public protocol EditBackend: Sendable {
    /// The name the configuration gives this backend; recipes select it with `backend:`.
    var name: String { get }
    var capabilities: BackendCapabilities { get }
    func edit(_ request: EditRequest) async throws(BackendError) -> EditResult
}
