public import Backends
public import Foundation

/// The machine-readable record every job leaves beside its results (or in the failed folder).
public struct JobLog: Sendable, Codable, Equatable {
    public struct FileEntry: Sendable, Codable, Equatable {
        public var name: String
        public var bytes: Int
        public var sha256: String

        public init(name: String, bytes: Int, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public struct StageTiming: Sendable, Codable, Equatable {
        public var stage: String
        public var seconds: Double

        public init(stage: String, seconds: Double) {
            self.stage = stage
            self.seconds = seconds
        }
    }

    public struct Failure: Sendable, Codable, Equatable {
        public var stage: String
        public var message: String
        public var transient: Bool
    }

    public var jobID: String
    /// The watch's name and the folder inside its inbox.
    public var watch: String
    public var folder: String
    public var attempt: Int
    public var startedAt: Date
    public var finishedAt: Date?
    public var inputs: [FileEntry] = []
    public var recipeFiles: [String] = []
    /// The fully resolved instruction (recipes and sidecar merged, defaults filled in).
    public var instruction: [String: JSONValue] = [:]
    public var backend: String?
    public var server: String?
    public var seeds: [UInt64] = []
    public var inputSize: [Int]?
    public var outputSize: [Int]?
    public var timings: [StageTiming] = []
    public var warnings: [String] = []
    public var outputs: [FileEntry] = []
    /// `succeeded`, `failed` or `retrying`.
    public var outcome: String = "running"
    public var failure: Failure?

    public init(jobID: String, watch: String, folder: String, attempt: Int, startedAt: Date) {
        self.jobID = jobID
        self.watch = watch
        self.folder = folder
        self.attempt = attempt
        self.startedAt = startedAt
    }

    /// Marks the log as failed (or retrying, for a transient failure) with `failure`.
    public mutating func record(_ failure: JobFailure) {
        self.failure = Failure(stage: failure.stage.rawValue, message: failure.message, transient: failure.isTransient)
        outcome = failure.isTransient ? "retrying" : "failed"
    }

    /// Encodes the log as pretty-printed JSON with sorted keys, so two logs diff cleanly.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.timestampFormatter().string(from: date))
        }
        // NOTE: encoding plain value types with ISO-8601 dates cannot fail; an empty log is a safe fallback.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return [UInt8](data) + [0x0A]
    }

    /// ISO 8601 in UTC with milliseconds, such as `2026-12-04T20:30:02.068Z`.
    static func timestampFormatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    public static func decode(_ bytes: [UInt8]) throws -> JobLog {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Self.timestampFormatter().date(from: text) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "invalid timestamp '\(text)'")
                )
            }
            return date
        }
        return try decoder.decode(JobLog.self, from: Data(bytes))
    }
}
