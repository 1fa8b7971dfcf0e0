public import Backends
public import Imaging

/// The files of one claimed job and where they came from.
public struct JobInput: Sendable {
    public var id: String
    /// The folder holding the job's files now (its claim folder in the state area).
    public var directory: String
    /// The image's path relative to `directory`.
    public var imageName: String
    /// The sidecar's path relative to `directory`, if the job has one.
    public var sidecarName: String?
    /// Other files the job carries (masks, extra images), relative to `directory`.
    public var otherNames: [String]
    /// The watch's name, for logs.
    public var watch: String
    /// The job's folder relative to the watch's inbox ("" for the inbox itself).
    public var folder: String
    public var attempt: Int

    public init(
        id: String,
        directory: String,
        imageName: String,
        sidecarName: String?,
        otherNames: [String] = [],
        watch: String,
        folder: String,
        attempt: Int = 1
    ) {
        self.id = id
        self.directory = directory
        self.imageName = imageName
        self.sidecarName = sidecarName
        self.otherNames = otherNames
        self.watch = watch
        self.folder = folder
        self.attempt = attempt
    }

    /// Every file of the job, image first.
    public var allNames: [String] {
        [imageName] + (sidecarName.map { [$0] } ?? []) + otherNames
    }
}

/// Settings of the pipeline that come from the daemon configuration.
public struct PipelineSettings: Sendable {
    public var decodeLimits: DecodeLimits
    /// The backend used when neither recipe nor sidecar names one.
    public var defaultBackend: String

    public init(decodeLimits: DecodeLimits = DecodeLimits(), defaultBackend: String = "fill") {
        self.decodeLimits = decodeLimits
        self.defaultBackend = defaultBackend
    }
}

/// The configured backends, by name.
public struct BackendRegistry: Sendable {
    public private(set) var backends: [String: any EditBackend]

    public init(_ backends: [any EditBackend]) {
        var byName: [String: any EditBackend] = [:]
        for backend in backends {
            byName[backend.name] = backend
        }
        self.backends = byName
    }

    public var names: [String] { backends.keys.sorted() }

    func backend(named name: String) throws(JobFailure) -> any EditBackend {
        guard let backend = backends[name] else {
            let known = names.map { "'\($0)'" }.joined(separator: ", ")
            throw JobFailure(
                stage: .instruction,
                message: "backend '\(name)' is not configured; configured backends are \(known). "
                    + "Add it under `backends:` in the daemon configuration or change `backend:` in the recipe or sidecar."
            )
        }
        return backend
    }
}

/// One encoded result, not yet written anywhere.
public struct ProducedOutput: Sendable {
    /// The file name from the output template, before any versioning on collision.
    public var name: String
    public var bytes: [UInt8]
    public var seed: UInt64
    public var width: Int
    public var height: Int
}

/// What the pipeline produced for one job: outputs on success, a failure otherwise, and the log either way.
public struct PipelineResult: Sendable {
    public var outputs: [ProducedOutput]
    public var log: JobLog
    public var failure: JobFailure?

    public init(outputs: [ProducedOutput], log: JobLog, failure: JobFailure?) {
        self.outputs = outputs
        self.log = log
        self.failure = failure
    }
}
